namespace VaultAI.Billing.Endpoints.Internal;

// The request bodies as the API reference describes them. The handlers read the JSON field by field (JsonBody) to name
// the failing field in a 400; these records only give the OpenAPI document the shape of each body (snake_case on the wire).
internal sealed record RegisterRequestBody(Guid OrganizationId, string OrganizationName, string? InstanceUrl, string? Email);

internal sealed record UsageReportRequestBody(Guid OrganizationId, long UserCount, DateTimeOffset Timestamp, string? OrganizationName, string? InstanceUrl);

internal sealed record MeterEventRequestBody(Guid OrganizationId, long UserCount, DateTimeOffset Timestamp, string? DeploymentType);

internal sealed record EntitlementCheckRequestBody(string? Metric, long Quantity);

internal sealed record UsageEventRequestItem(string Id, string Metric, decimal Quantity, DateTimeOffset Timestamp, IDictionary<string, string>? Properties);

internal sealed record UsageEventsRequestBody(Guid? OrganizationId, IReadOnlyList<UsageEventRequestItem> Events);

internal sealed record LinkRequestBody(string AdminEmail, string DeploymentType, string PlanType, int? TrialDays, string? BillingInterval);

internal sealed record CheckoutRequestBody(string PlanType, string DeploymentType, string SuccessUrl, string CancelUrl, string? CustomerEmail, int? TrialDays, string? BillingInterval);

internal sealed record PortalRequestBody(string ReturnUrl);

internal sealed record ChangePlanRequestBody(string PlanType, string? BillingInterval, string? ProrationBehavior);

internal sealed record ChangeSeatsRequestBody(long Quantity);

// A Stripe event as Stripe posts it (signed with the Stripe-Signature header); only the fields the receiver reads.
internal sealed record StripeEventRequestBody(string Id, string Type, long Created, string? ApiVersion, bool Livemode, System.Text.Json.JsonElement Data);

internal sealed record SelfServiceCheckoutBody(string PlanType, string BillingInterval, string SuccessUrl, string CancelUrl);

internal sealed record CreditGrantRequestBody(long Amount, string Currency, string Reason);
