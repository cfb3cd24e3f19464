using System.Text.Json.Serialization;

namespace VaultAI.Billing.Endpoints.Internal;

internal sealed record RegisterResponse(
    bool Success,
    Guid OrganizationId,
    string? BillingToken,
    string OrganizationStatus,
    string? StripeCustomerId,
    string? StripeSubscriptionId,
    DateTimeOffset? TrialEnd,
    bool AlreadyRegistered);

internal sealed record UsageReportResponse(bool Success, string Message, Guid ReportId, string OrganizationStatus, bool Duplicate, bool Billable);

internal sealed record StripeSubscriptionView(string? Status, DateTimeOffset? CurrentPeriodStart, DateTimeOffset? CurrentPeriodEnd, bool CancelAtPeriodEnd);

internal sealed record EntitlementsView(bool Entitled, string Reason, DateTimeOffset? GracePeriodEnd, IDictionary<string, long>? Limits);

internal sealed record StatusResponse(
    Guid OrganizationId,
    string OrganizationName,
    string SubscriptionStatus,
    bool TrialActive,
    DateTimeOffset? TrialEnd,
    bool TrialWillEnd,
    string? PlanType,
    string? DeploymentType,
    StripeSubscriptionView? StripeSubscription,
    EntitlementsView Entitlements);

internal sealed record AdminOrganizationView(
    Guid Id,
    string Name,
    string? InstanceUrl,
    string SubscriptionStatus,
    DateTimeOffset CreatedAt,
    long? LastUserCount,
    DateTimeOffset? LastReportAt,
    string? StripeCustomerId,
    string? StripeSubscriptionId,
    string? DeploymentType,
    string? PlanType,
    string? AdminEmail,
    DateTimeOffset? TrialEnd,
    DateTimeOffset? CurrentPeriodEnd,
    DateTimeOffset? LinkedAt);

internal sealed record AdminSummary(int Total, int Linked, int Pending);

internal sealed record AdminOrganizationGroups(IReadOnlyList<AdminOrganizationView> Pending, IReadOnlyList<AdminOrganizationView> Linked);

internal sealed record AdminListResponse(AdminSummary Summary, AdminOrganizationGroups Organizations, int Matching, int Skip, int Take);

internal sealed record AdminReportView(Guid Id, string Metric, long Quantity, DateTimeOffset OccurredAt, DateTimeOffset ReceivedAt, bool Billable, string? NotBillableReason, string Source);

internal sealed record AdminOrganizationDetail(AdminOrganizationView Organization, IReadOnlyList<AdminReportView> RecentReports);

internal sealed record LinkResponse(bool Success, string Message, AdminOrganizationView Organization);

internal sealed record TokenResponse(bool Success, Guid OrganizationId, string BillingToken);

internal sealed record ActionResponse(bool Success, string Message);

internal sealed record OutboxView(Guid Id, Guid OrganizationId, Guid? UsageReportId, string EventName, string StripeCustomerId, long Value, string Identifier, DateTimeOffset Timestamp, string Status, int Attempts, string? LastError, DateTimeOffset CreatedAt);

internal sealed record OutboxListResponse(IReadOnlyDictionary<string, int> Counts, IReadOnlyList<OutboxView> Items);

internal sealed record RetryResponse(bool Success, int Retried);

internal sealed record EntitlementCheckResponse(bool Allowed, string Metric, long Quantity, long? Limit, long? Remaining, string Reason);

internal sealed record SessionLinkResponse(bool Success, string Url, string SessionId);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(RegisterResponse))]
[JsonSerializable(typeof(UsageReportResponse))]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(AdminListResponse))]
[JsonSerializable(typeof(AdminOrganizationDetail))]
[JsonSerializable(typeof(LinkResponse))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(ActionResponse))]
[JsonSerializable(typeof(OutboxListResponse))]
[JsonSerializable(typeof(RetryResponse))]
[JsonSerializable(typeof(EntitlementCheckResponse))]
[JsonSerializable(typeof(SessionLinkResponse))]
internal sealed partial class WireJsonContext : JsonSerializerContext;
