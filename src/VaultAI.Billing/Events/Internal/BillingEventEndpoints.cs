using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Endpoints.Internal;
using VaultAI.Billing.Entitlements;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Events.Internal;

/// <summary>
/// The admin routes of the event log and of entitlements: <c>GET /api/admin/events</c>,
/// <c>GET /api/admin/organizations/{id}/entitlements</c> and <c>GET /api/admin/suspended</c>. The group carries the admin
/// policy and the problem filter.
/// </summary>
internal static class BillingEventEndpoints
{
    public static void MapAdmin(RouteGroupBuilder group)
    {
        group.MapGet("/events", ListAsync).WithName("AdminListBillingEvents").Produces<BillingEventListResponse>();
        group.MapGet("/organizations/{organizationId}/entitlements", EntitlementsAsync).WithName("AdminGetEntitlements").Produces<EntitlementStateView>();
        group.MapGet("/suspended", SuspendedAsync).WithName("AdminListSuspended").Produces<SuspendedListResponse>();
    }

    private static async Task<IResult> ListAsync(HttpRequest request, IBillingEventLog log, CancellationToken cancellationToken)
    {
        Guid? organizationId = request.Query["organization_id"].FirstOrDefault() is { Length: > 0 } text
            ? JsonBody.ParseId(text, "organization_id")
            : null;
        var type = request.Query["type"].FirstOrDefault();
        if (type is { Length: > 0 } && (type.Length > 64 || !type.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_')))
        {
            throw BillingException.Invalid("type", "'type' must be an event type such as past_due (lowercase letters, digits and '_', at most 64).");
        }

        var skip = QueryInt(request, "skip", 0, 0, int.MaxValue);
        var take = QueryInt(request, "take", 100, 1, 1000);
        var page = await log.QueryAsync(new BillingEventQuery(organizationId, string.IsNullOrEmpty(type) ? null : type, skip, take), cancellationToken).ConfigureAwait(false);
        var items = page.Items.Select(View).ToList();
        return TypedResults.Json(new BillingEventListResponse(items, page.Matching, skip, take), BillingEventJsonContext.Default.BillingEventListResponse);
    }

    private static async Task<IResult> EntitlementsAsync(string organizationId, IBillingStore store, IOptionsMonitor<VaultAIBillingOptions> options, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var id = JsonBody.ParseId(organizationId, "organization_id");
        var organization = await store.GetOrganizationAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new BillingException(404, "organization_not_found", $"No organization {id}.", "organization_id");
        var settings = options.CurrentValue;
        var plan = organization.PlanKey is { } key && settings.Plans.TryGetValue(key, out var found) ? found : null;
        var state = EntitlementRules.Evaluate(organization, plan, settings.Entitlements, timeProvider.GetUtcNow());
        return TypedResults.Json(
            new EntitlementStateView(id, organization.Status, state.Entitled, state.Reason, state.IsSuspended, organization.PastDueSince, state.GracePeriodEnd),
            BillingEventJsonContext.Default.EntitlementStateView);
    }

    private static async Task<IResult> SuspendedAsync(IBillingStore store, IOptionsMonitor<VaultAIBillingOptions> options, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var now = timeProvider.GetUtcNow();
        var pastDue = await store.ListOrganizationsAsync(new OrganizationQuery(Status: OrganizationStatus.PastDue, Take: 1000), cancellationToken).ConfigureAwait(false);
        var views = new List<EntitlementStateView>();
        foreach (var organization in pastDue.Items)
        {
            var plan = organization.PlanKey is { } key && settings.Plans.TryGetValue(key, out var found) ? found : null;
            var state = EntitlementRules.Evaluate(organization, plan, settings.Entitlements, now);
            views.Add(new EntitlementStateView(organization.Id, organization.Status, state.Entitled, state.Reason, state.IsSuspended, organization.PastDueSince, state.GracePeriodEnd));
        }

        return TypedResults.Json(new SuspendedListResponse(views.Where(v => v.Suspended).ToList(), views.Where(v => !v.Suspended).ToList()), BillingEventJsonContext.Default.SuspendedListResponse);
    }

    private static BillingEventView View(BillingEvent e)
    {
        using var data = JsonDocument.Parse(e.Data);
        return new BillingEventView(e.Id, e.OrganizationId, e.Type, e.Actor, e.OccurredAt, data.RootElement.Clone());
    }

    private static int QueryInt(HttpRequest request, string name, int fallback, int min, int max)
    {
        var text = request.Query[name].FirstOrDefault();
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw BillingException.Invalid(name, $"'{name}' must be a whole number between {min} and {max}.");
    }
}

internal sealed record BillingEventView(Guid Id, Guid? OrganizationId, string Type, string Actor, DateTimeOffset OccurredAt, JsonElement Data);

internal sealed record BillingEventListResponse(IReadOnlyList<BillingEventView> Events, int Matching, int Skip, int Take);

internal sealed record EntitlementStateView(Guid OrganizationId, string Status, bool Entitled, string Reason, bool Suspended, DateTimeOffset? PastDueSince, DateTimeOffset? GracePeriodEnd);

internal sealed record SuspendedListResponse(IReadOnlyList<EntitlementStateView> Suspended, IReadOnlyList<EntitlementStateView> InGracePeriod);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(BillingEventListResponse))]
[JsonSerializable(typeof(EntitlementStateView))]
[JsonSerializable(typeof(SuspendedListResponse))]
internal sealed partial class BillingEventJsonContext : JsonSerializerContext;
