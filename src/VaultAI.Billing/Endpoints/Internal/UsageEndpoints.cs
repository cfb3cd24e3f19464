using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Credentials.Internal;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Metering.Internal;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Endpoints.Internal;

/// <summary>The generic metering routes: <c>POST /api/usage-events</c> and the current period's usage per metric.</summary>
internal static class UsageEndpoints
{
    public const string Source = "usage-events";

    /// <summary>Maps the instance routes (organization token); the group already carries the problem filter.</summary>
    public static void MapInstance(RouteGroupBuilder group)
    {
        group.MapPost("/usage-events", RecordAsync).WithName("RecordUsageEvents").WithRequestSchema<UsageEventsRequestBody>().Produces<UsageEventsResponse>().ProducesProblem(402).ProducesProblem(404).ProducesProblem(409);
        group.MapGet("/organizations/{organizationId}/usage", InstanceUsageAsync).WithName("GetOrganizationUsage").Produces<UsageResponse>().ProducesProblem(404);
    }

    /// <summary>Maps the admin route (admin policy); the group already carries the problem filter.</summary>
    public static void MapAdmin(RouteGroupBuilder group) =>
        group.MapGet("/organizations/{organizationId}/usage", AdminUsageAsync).WithName("AdminGetOrganizationUsage").Produces<UsageResponse>();

    private static async Task<IResult> RecordAsync(HttpContext context, InstanceAuthenticator authenticator, UsageRecorder recorder, UsageBatchGate gate, IOptionsMonitor<VaultAIBillingOptions> options, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        // Authenticate before reading the body: an unauthenticated caller learns nothing about validation.
        var credential = await authenticator.AuthenticateAsync(context.Request, cancellationToken).ConfigureAwait(false);
        var settings = options.CurrentValue;

        // The body is read inside the gate: what a batch holds in memory (body, parsed events, statement) is bounded by it.
        using var turn = await gate.EnterAsync(cancellationToken).ConfigureAwait(false);
        List<UsageEventRecord> events;
        using (var body = await JsonBody.ReadAsync(context.Request, settings.UsageEvents.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false))
        {
            if (body.OptionalString("organization_id", 64) is { } claimed)
            {
                InstanceAuthenticator.Authorize(credential, Guid.TryParse(claimed, out var id)
                    ? id
                    : throw BillingException.Invalid("organization_id", "'organization_id' must be a UUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301."));
            }

            events = UsageEventsBody.Read(body.Root, settings, timeProvider.GetUtcNow(), Source);
        }

        var result = await recorder.RecordValidatedAsync(credential.OrganizationId, events, Source, cancellationToken).ConfigureAwait(false);
        await authenticator.TouchAsync(credential, cancellationToken).ConfigureAwait(false);
        var response = new UsageEventsResponse(
            result.Accepted,
            result.Duplicates,
            result.Events.Select(e => new UsageEventStatusView(e.Id, e.Duplicate ? "duplicate" : "accepted")).ToList());
        return TypedResults.Json(response, UsageWireJsonContext.Default.UsageEventsResponse);
    }

    private static async Task<IResult> InstanceUsageAsync(string organizationId, HttpContext context, InstanceAuthenticator authenticator, IBillingStore store, IOptionsMonitor<VaultAIBillingOptions> options, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var credential = await authenticator.AuthenticateAsync(context.Request, cancellationToken).ConfigureAwait(false);
        var id = ParseId(organizationId);
        InstanceAuthenticator.Authorize(credential, id);
        return await UsageAsync(id, store, options.CurrentValue, timeProvider, cancellationToken).ConfigureAwait(false);
    }

    private static Task<IResult> AdminUsageAsync(string organizationId, IBillingStore store, IOptionsMonitor<VaultAIBillingOptions> options, TimeProvider timeProvider, CancellationToken cancellationToken) =>
        UsageAsync(ParseId(organizationId), store, options.CurrentValue, timeProvider, cancellationToken);

    private static async Task<IResult> UsageAsync(Guid id, IBillingStore store, VaultAIBillingOptions settings, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var organization = await store.GetOrganizationAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new BillingException(404, "organization_not_found", $"No organization {id}.", "organization_id");
        var period = UsagePeriod.For(organization, timeProvider.GetUtcNow());
        var totals = await store.GetUsageTotalsAsync(id, period.Start, cancellationToken).ConfigureAwait(false);
        var plan = organization.PlanKey is { } key && settings.Plans.TryGetValue(key, out var found) ? found : null;
        var usage = settings.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m =>
        {
            var current = Normalize(totals.FirstOrDefault(t => string.Equals(t.Metric, m.Key, StringComparison.Ordinal))?.Total ?? 0m);
            // Plans carry hard limits (VaultAI:Billing:Plans:<plan>:Limits) but no included quantities yet.
            decimal? limit = plan is not null && plan.Limits.TryGetValue(m.Key, out var max) ? max : null;
            decimal? percentage = limit is > 0 ? decimal.Round(current * 100m / limit.Value, 2) : limit is 0 ? (current > 0 ? 100m : 0m) : null;
            return new MetricUsageView(m.Key, m.Value.Unit, current, null, limit, percentage, limit is null);
        }).ToList();
        return TypedResults.Json(new UsageResponse(id, new PeriodView(period.Start, period.End), organization.PlanKey, usage), UsageWireJsonContext.Default.UsageResponse);
    }

    /// <summary>Drops the trailing zeros the database's fixed scale adds (12.000000 is sent as 12).</summary>
    private static decimal Normalize(decimal value) => value / 1.000000000000000000000000000000000m;

    private static Guid ParseId(string organizationId) =>
        Guid.TryParse(organizationId, out var id)
            ? id
            : throw BillingException.Invalid("organization_id", "The organization id in the path must be a UUID.");
}

internal sealed record UsageEventStatusView(string Id, string Status);

internal sealed record UsageEventsResponse(int Accepted, int Duplicates, IReadOnlyList<UsageEventStatusView> Events);

internal sealed record PeriodView(DateTimeOffset Start, DateTimeOffset End);

internal sealed record MetricUsageView(string Metric, string Unit, decimal Current, decimal? Included, decimal? Limit, decimal? Percentage, bool Unlimited);

internal sealed record UsageResponse(Guid OrganizationId, PeriodView Period, string? Plan, IReadOnlyList<MetricUsageView> Usage);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(UsageEventsResponse))]
[JsonSerializable(typeof(UsageResponse))]
internal sealed partial class UsageWireJsonContext : JsonSerializerContext;
