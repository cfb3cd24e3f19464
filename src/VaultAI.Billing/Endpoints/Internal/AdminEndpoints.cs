using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Linking;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Storage;
using VaultAI.Billing.Subscriptions;

namespace VaultAI.Billing.Endpoints.Internal;

/// <summary>The admin API. The group requires the host's admin policy.</summary>
internal static class AdminEndpoints
{
    public static void Map(RouteGroupBuilder group)
    {
        group.AddEndpointFilter(InstanceEndpoints.ProblemFilter);
        group.MapGet("/organizations", ListAsync).WithName("AdminListOrganizations").Produces<AdminListResponse>();
        group.MapGet("/organizations/{organizationId}", GetAsync).WithName("AdminGetOrganization").Produces<AdminOrganizationDetail>();
        group.MapPost("/organizations/{organizationId}/link", LinkAsync).WithName("AdminLinkOrganization").WithRequestSchema<LinkRequestBody>().Produces<LinkResponse>();
        group.MapPost("/organizations/{organizationId}/sync", SyncAsync).WithName("AdminSyncOrganization").Produces<LinkResponse>();
        group.MapPost("/organizations/{organizationId}/checkout", CheckoutAsync).WithName("AdminCreateCheckoutLink").WithRequestSchema<CheckoutRequestBody>().Produces<SessionLinkResponse>();
        group.MapPost("/organizations/{organizationId}/portal", PortalAsync).WithName("AdminCreatePortalLink").WithRequestSchema<PortalRequestBody>().Produces<SessionLinkResponse>();
        group.MapPost("/organizations/{organizationId}/cancel", CancelAsync).WithName("AdminCancelSubscription").Produces<LinkResponse>();
        group.MapPost("/organizations/{organizationId}/rotate-token", RotateAsync).WithName("AdminRotateToken").Produces<TokenResponse>();
        group.MapPost("/organizations/{organizationId}/revoke-token", RevokeAsync).WithName("AdminRevokeToken").Produces<ActionResponse>();
        MapLifecycle(group);
        group.MapGet("/meter-events", ListMeterEventsAsync).WithName("AdminListMeterEvents").Produces<OutboxListResponse>();
        group.MapPost("/meter-events/retry", (BillingAdministration admin, CancellationToken ct) => RetryAsync(admin, null, ct)).WithName("AdminRetryFailedMeterEvents").Produces<RetryResponse>();
        group.MapPost("/meter-events/{outboxId}/retry", (string outboxId, BillingAdministration admin, CancellationToken ct) => RetryAsync(admin, ParseId(outboxId, "outbox_id"), ct)).WithName("AdminRetryMeterEvent").Produces<RetryResponse>();
    }

    private static async Task<IResult> ListAsync(HttpRequest request, BillingAdministration admin, CancellationToken cancellationToken)
    {
        var skip = QueryInt(request, "skip", 0, 0, int.MaxValue);
        var take = QueryInt(request, "take", 500, 1, 1000);
        bool? linked = request.Query["linked"].FirstOrDefault() switch
        {
            null or "" => null,
            "true" => true,
            "false" => false,
            _ => throw BillingException.Invalid("linked", "'linked' must be 'true' or 'false'."),
        };
        var page = await admin.ListOrganizationsAsync(new OrganizationQuery(QueryText(request, "search", 200), linked, QueryText(request, "status", 32), skip, take), cancellationToken).ConfigureAwait(false);
        var views = page.Items.Select(StatusViews.Admin).ToList();
        var response = new AdminListResponse(
            new AdminSummary(page.Total, page.Linked, page.Pending),
            new AdminOrganizationGroups(views.Where(v => v.StripeCustomerId is null).ToList(), views.Where(v => v.StripeCustomerId is not null).ToList()),
            page.Matching,
            skip,
            take);
        return TypedResults.Json(response, WireJsonContext.Default.AdminListResponse);
    }

    private static async Task<IResult> GetAsync(string organizationId, BillingAdministration admin, CancellationToken cancellationToken)
    {
        var id = ParseId(organizationId, "organization_id");
        var organization = await admin.GetOrganizationAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new BillingException(404, "organization_not_found", $"No organization {id}.", "organization_id");
        var reports = await admin.GetRecentReportsAsync(id, 60, cancellationToken).ConfigureAwait(false);
        var detail = new AdminOrganizationDetail(
            StatusViews.Admin(organization),
            reports.Select(r => new AdminReportView(r.Id, r.Metric, r.Quantity, r.OccurredAt, r.ReceivedAt, r.Billable, r.NotBillableReason, r.Source)).ToList());
        return TypedResults.Json(detail, WireJsonContext.Default.AdminOrganizationDetail);
    }

    private static async Task<IResult> LinkAsync(string organizationId, HttpContext context, BillingAdministration admin, IOptionsMonitor<VaultAIBillingOptions> options, CancellationToken cancellationToken)
    {
        var id = ParseId(organizationId, "organization_id");
        LinkRequest request;
        using (var body = await JsonBody.ReadAsync(context.Request, options.CurrentValue.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false))
        {
            request = new LinkRequest
            {
                AdminEmail = body.RequiredEmail("admin_email"),
                DeploymentType = body.RequiredString("deployment_type", 32),
                PlanKey = body.RequiredString("plan_type", 64),
                TrialDays = body.OptionalInteger("trial_days", 0, 730),
                BillingInterval = body.OptionalString("billing_interval", 16),
            };
        }

        var organization = await admin.LinkAsync(id, request, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new LinkResponse(true, "Organization linked to Stripe", StatusViews.Admin(organization)), WireJsonContext.Default.LinkResponse);
    }

    private static async Task<IResult> CheckoutAsync(string organizationId, HttpContext context, BillingAdministration admin, IOptionsMonitor<VaultAIBillingOptions> options, CancellationToken cancellationToken)
    {
        var id = ParseId(organizationId, "organization_id");
        CheckoutRequest request;
        using (var body = await JsonBody.ReadAsync(context.Request, options.CurrentValue.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false))
        {
            request = new CheckoutRequest
            {
                PlanKey = body.RequiredString("plan_type", 64),
                DeploymentType = body.RequiredString("deployment_type", 32),
                SuccessUrl = body.RequiredString("success_url", 2000),
                CancelUrl = body.RequiredString("cancel_url", 2000),
                CustomerEmail = body.OptionalEmail("customer_email"),
                TrialDays = body.OptionalInteger("trial_days", 0, 730),
                BillingInterval = body.OptionalString("billing_interval", 16),
            };
        }

        var link = await admin.CreateCheckoutLinkAsync(id, request, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new SessionLinkResponse(true, link.Url, link.SessionId), WireJsonContext.Default.SessionLinkResponse);
    }

    private static async Task<IResult> PortalAsync(string organizationId, HttpContext context, BillingAdministration admin, IOptionsMonitor<VaultAIBillingOptions> options, CancellationToken cancellationToken)
    {
        var id = ParseId(organizationId, "organization_id");
        string returnUrl;
        using (var body = await JsonBody.ReadAsync(context.Request, options.CurrentValue.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false))
        {
            returnUrl = body.RequiredString("return_url", 2000);
        }

        var link = await admin.CreatePortalLinkAsync(id, returnUrl, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new SessionLinkResponse(true, link.Url, link.SessionId), WireJsonContext.Default.SessionLinkResponse);
    }

    private static async Task<IResult> SyncAsync(string organizationId, BillingAdministration admin, CancellationToken cancellationToken)
    {
        var organization = await admin.SyncFromStripeAsync(ParseId(organizationId, "organization_id"), cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new LinkResponse(true, "Organization synchronised from Stripe", StatusViews.Admin(organization)), WireJsonContext.Default.LinkResponse);
    }

    private static async Task<IResult> CancelAsync(string organizationId, HttpRequest request, BillingAdministration admin, CancellationToken cancellationToken)
    {
        var atPeriodEnd = request.Query["at_period_end"].FirstOrDefault() switch
        {
            null or "" or "false" => false,
            "true" => true,
            _ => throw BillingException.Invalid("at_period_end", "'at_period_end' must be 'true' or 'false'."),
        };
        var organization = await admin.CancelSubscriptionAsync(ParseId(organizationId, "organization_id"), atPeriodEnd, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new LinkResponse(true, atPeriodEnd ? "Subscription cancels at period end" : "Subscription canceled", StatusViews.Admin(organization)), WireJsonContext.Default.LinkResponse);
    }

    /// <summary>Plan change, seats and resume: the subscription lifecycle (<see cref="SubscriptionLifecycle"/>).</summary>
    private static void MapLifecycle(RouteGroupBuilder group)
    {
        group.MapPost("/organizations/{organizationId}/plan", ChangePlanAsync).WithName("AdminChangePlan").WithRequestSchema<ChangePlanRequestBody>().Produces<LinkResponse>();
        group.MapPost("/organizations/{organizationId}/seats", ChangeSeatsAsync).WithName("AdminChangeSeats").WithRequestSchema<ChangeSeatsRequestBody>().Produces<LinkResponse>();
        group.MapPost("/organizations/{organizationId}/resume", ResumeAsync).WithName("AdminResumeSubscription").Produces<LinkResponse>();
    }

    private static async Task<IResult> ChangePlanAsync(string organizationId, HttpContext context, SubscriptionLifecycle lifecycle, IOptionsMonitor<VaultAIBillingOptions> options, CancellationToken cancellationToken)
    {
        var id = ParseId(organizationId, "organization_id");
        PlanChangeRequest request;
        using (var body = await JsonBody.ReadAsync(context.Request, options.CurrentValue.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false))
        {
            request = new PlanChangeRequest
            {
                PlanKey = body.RequiredString("plan_type", 64),
                BillingInterval = body.OptionalString("billing_interval", 16),
                ProrationBehavior = body.OptionalString("proration_behavior", 32),
            };
        }

        var organization = await lifecycle.ChangePlanAsync(id, request, Actor(context), cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new LinkResponse(true, "Plan changed", StatusViews.Admin(organization)), WireJsonContext.Default.LinkResponse);
    }

    private static async Task<IResult> ChangeSeatsAsync(string organizationId, HttpContext context, SubscriptionLifecycle lifecycle, IOptionsMonitor<VaultAIBillingOptions> options, CancellationToken cancellationToken)
    {
        var id = ParseId(organizationId, "organization_id");
        long quantity;
        using (var body = await JsonBody.ReadAsync(context.Request, options.CurrentValue.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false))
        {
            quantity = body.RequiredInteger("quantity", 1, 1_000_000);
        }

        var organization = await lifecycle.ChangeSeatsAsync(id, quantity, Actor(context), cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new LinkResponse(true, "Seat quantity set", StatusViews.Admin(organization)), WireJsonContext.Default.LinkResponse);
    }

    private static async Task<IResult> ResumeAsync(string organizationId, HttpContext context, SubscriptionLifecycle lifecycle, CancellationToken cancellationToken)
    {
        var organization = await lifecycle.ResumeAsync(ParseId(organizationId, "organization_id"), Actor(context), cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new LinkResponse(true, "Subscription resumed", StatusViews.Admin(organization)), WireJsonContext.Default.LinkResponse);
    }

    private static string Actor(HttpContext context) => context.User.Identity?.Name is { Length: > 0 } name ? name : "admin";

    private static async Task<IResult> RotateAsync(string organizationId, BillingAdministration admin, CancellationToken cancellationToken)
    {
        var id = ParseId(organizationId, "organization_id");
        var token = await admin.RotateTokenAsync(id, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new TokenResponse(true, id, token), WireJsonContext.Default.TokenResponse);
    }

    private static async Task<IResult> RevokeAsync(string organizationId, BillingAdministration admin, CancellationToken cancellationToken)
    {
        await admin.RevokeTokenAsync(ParseId(organizationId, "organization_id"), cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new ActionResponse(true, "Billing token revoked"), WireJsonContext.Default.ActionResponse);
    }

    private static async Task<IResult> ListMeterEventsAsync(HttpRequest request, BillingAdministration admin, CancellationToken cancellationToken)
    {
        var status = request.Query["status"].FirstOrDefault() ?? OutboxStatus.Failed;
        if (status is not (OutboxStatus.Pending or OutboxStatus.Sent or OutboxStatus.Failed))
        {
            throw BillingException.Invalid("status", "'status' must be 'pending', 'sent' or 'failed'.");
        }

        var rows = await admin.ListMeterEventsAsync(status, QueryInt(request, "take", 100, 1, 1000), cancellationToken).ConfigureAwait(false);
        var counts = await admin.CountMeterEventsAsync(cancellationToken).ConfigureAwait(false);
        var items = rows.Select(r => new OutboxView(r.Id, r.OrganizationId, r.UsageReportId, r.EventName, r.StripeCustomerId, r.Value, r.Identifier, r.Timestamp, r.Status, r.Attempts, r.LastError, r.CreatedAt)).ToList();
        return TypedResults.Json(new OutboxListResponse(counts, items), WireJsonContext.Default.OutboxListResponse);
    }

    private static async Task<IResult> RetryAsync(BillingAdministration admin, Guid? outboxId, CancellationToken cancellationToken)
    {
        var retried = await admin.RetryFailedMeterEventsAsync(outboxId, cancellationToken).ConfigureAwait(false);
        return outboxId is not null && retried == 0
            ? throw new BillingException(404, "meter_event_not_failed", $"No failed meter event {outboxId}.", "outbox_id")
            : TypedResults.Json(new RetryResponse(true, retried), WireJsonContext.Default.RetryResponse);
    }

    private static Guid ParseId(string value, string field) => JsonBody.ParseId(value, field);

    /// <summary>Free text from the query string: bounded, and without control characters (PostgreSQL refuses NUL in text).</summary>
    private static string? QueryText(HttpRequest request, string name, int maxLength)
    {
        var text = request.Query[name].FirstOrDefault()?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return text.Length > maxLength || text.Any(char.IsControl)
            ? throw BillingException.Invalid(name, $"'{name}' must be at most {maxLength} characters, without control characters.")
            : text;
    }

    private static int QueryInt(HttpRequest request, string name, int fallback, int min, int max)
    {
        var text = request.Query[name].FirstOrDefault();
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw BillingException.Invalid(name, $"'{name}' must be a whole number between {min} and {max}.");
    }
}
