using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Events;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Entitlements.Internal;

/// <summary>The one implementation of <see cref="IEntitlementService"/>.</summary>
internal sealed class EntitlementService(
    IBillingStore store,
    IBillingEventLog eventLog,
    IOptionsMonitor<VaultAIBillingOptions> options,
    TimeProvider timeProvider) : IEntitlementService
{
    // Quota events already recorded by this host: spares the database an insert that the deduplication key would refuse.
    private readonly ConcurrentDictionary<string, byte> _recorded = new(StringComparer.Ordinal);

    public async Task<EntitlementDecision> CheckAsync(Guid organizationId, string metric, decimal quantity, CancellationToken cancellationToken = default) =>
        (await CheckInPeriodAsync(organizationId, metric, quantity, cancellationToken).ConfigureAwait(false)).Decision;

    private async Task<(EntitlementDecision Decision, UsagePeriod Period)> CheckInPeriodAsync(Guid organizationId, string metric, decimal quantity, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(metric);
        if (quantity < 0)
        {
            throw BillingException.Invalid("quantity", "'quantity' must be at least 0.");
        }

        var now = timeProvider.GetUtcNow();
        var read = await ReadAsync(organizationId, metric, now, cancellationToken).ConfigureAwait(false)
            ?? throw new BillingException(404, "organization_not_found", $"No organization {organizationId}.", "organization_id");
        var plan = PlanOf(read.Organization);
        var decision = await DecideAsync(read.Organization, plan, plan?.FindLimit(metric), metric, quantity, now, read.Period, read.Current, cancellationToken).ConfigureAwait(false);
        return (decision, read.Period);
    }

    public async Task NoteUsageAsync(Guid organizationId, string metric, CancellationToken cancellationToken = default)
    {
        var read = await ReadAsync(organizationId, metric, timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (read is null || PlanOf(read.Organization)?.FindLimit(metric) is not { Limit: { } limit })
        {
            return;
        }

        await RecordThresholdsAsync(organizationId, metric, read.Period, read.Current, limit, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="CheckAsync"/>, then, when a hard limit applies to a summed metric, reserves <paramref name="quantity"/>
    /// atomically against it, so concurrent requests cannot pass the limit together. The caller releases the reservation
    /// once the request is over (its usage recorded, or failed).
    /// </summary>
    internal async Task<(EntitlementDecision Decision, QuotaReservation? Reservation)> CheckAndReserveAsync(Guid organizationId, string metric, decimal quantity, CancellationToken cancellationToken)
    {
        var (decision, period) = await CheckInPeriodAsync(organizationId, metric, quantity, cancellationToken).ConfigureAwait(false);
        var settings = options.CurrentValue;
        var summed = !settings.Metrics.TryGetValue(metric, out var definition) || definition.Aggregation == MetricAggregation.Sum;
        if (!decision.Allowed || quantity <= 0 || decision.Quota is not { Hard: true, Limit: { } limit } || !summed)
        {
            return (decision, null);
        }

        var reservations = store as IQuotaReservations
            ?? throw new InvalidOperationException("RequireEntitlement(..., reserve: true) needs a store with reservations (the Entity Framework store).");
        if (await reservations.TryReserveAsync(organizationId, metric, period.Start, period.End, quantity, limit, cancellationToken).ConfigureAwait(false))
        {
            return (decision, new QuotaReservation(organizationId, metric, period.Start, quantity));
        }

        var current = decision.Quota.Current;
        var detail = $"{Plain(current)} of {Plain(limit)} {metric} used or reserved by requests in progress; {Plain(quantity)} more would exceed the plan's limit.";
        return (decision with { Allowed = false, Code = EntitlementCodes.QuotaExceeded, Detail = detail }, null);
    }

    /// <summary>Gives back a reservation of <see cref="CheckAndReserveAsync"/> whose request recorded nothing.</summary>
    internal Task ReleaseAsync(QuotaReservation reservation) =>
        ((IQuotaReservations)store).ReleaseAsync(reservation, CancellationToken.None);

    /// <summary>The decision for an organization and the limit that applies (a focused test hands a soft limit here).</summary>
    internal async Task<EntitlementDecision> DecideAsync(Organization organization, BillingPlan? plan, PlanLimit? limit, string metric, decimal quantity, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var period = UsagePeriod.For(organization, now);
        var current = await CurrentAsync(organization.Id, metric, period, cancellationToken).ConfigureAwait(false);
        return await DecideAsync(organization, plan, limit, metric, quantity, now, period, current, cancellationToken).ConfigureAwait(false);
    }

    private async Task<EntitlementDecision> DecideAsync(Organization organization, BillingPlan? plan, PlanLimit? limit, string metric, decimal quantity, DateTimeOffset now, UsagePeriod period, decimal current, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var state = EntitlementRules.Evaluate(organization, plan, settings.Entitlements, now);
        var upgradeUrl = UpgradeUrl(settings.Entitlements, organization.Id);
        var quota = new QuotaUsage(metric, current, limit?.Limit, Percentage(current, limit?.Limit), limit?.Hard ?? false);

        if (!state.Entitled)
        {
            if (state.IsSuspended)
            {
                // The sweep records it too; whoever notices first records it, once per grace period.
                await RecordOnceAsync(SuspensionMonitor.Entry(organization, state), cancellationToken).ConfigureAwait(false);
            }

            var code = state.IsSuspended ? EntitlementCodes.Suspended : EntitlementCodes.SubscriptionInactive;
            var detail = state.IsSuspended
                ? $"The organization is suspended: its payment is overdue and the grace period ended at {state.GracePeriodEnd:O}."
                : $"The subscription does not entitle this organization ({state.Reason}).";
            return new EntitlementDecision(false, code, detail, state, quota, upgradeUrl, false);
        }

        if (limit?.Limit is not { } max)
        {
            return new EntitlementDecision(true, null, "Allowed.", state, quota, upgradeUrl, false);
        }

        await RecordThresholdsAsync(organization.Id, metric, period, current, max, cancellationToken).ConfigureAwait(false);
        var after = Requested(settings, metric, current, quantity);
        if (quantity == 0 || after <= max)
        {
            return new EntitlementDecision(true, null, "Allowed.", state, quota, upgradeUrl, false);
        }

        var text = $"{Plain(current)} of {Plain(max)} {metric} used this period; {Plain(quantity)} more would exceed the plan's limit.";
        if (limit.Hard)
        {
            return new EntitlementDecision(false, EntitlementCodes.QuotaExceeded, text, state, quota, upgradeUrl, false);
        }

        await RecordOnceAsync(
            new BillingEventEntry(
                BillingEventTypes.OverQuota,
                organization.Id,
                BillingActors.System,
                new JsonObject { ["metric"] = metric, ["current"] = current, ["requested"] = quantity, ["limit"] = max, ["period_start"] = period.Start },
                QuotaKey(organization.Id, metric, period, "over")),
            cancellationToken).ConfigureAwait(false);
        return new EntitlementDecision(true, null, text + " The limit is soft: allowed.", state, quota, upgradeUrl, true);
    }

    /// <summary>
    /// What the period's total becomes if <paramref name="quantity"/> is used, as the metric's aggregation means it: a sum
    /// adds the quantity; for <c>Last</c> and <c>Max</c> the new value itself is compared with the limit (reporting 40 seats
    /// after 30 means 40, not 70).
    /// </summary>
    internal static decimal Requested(VaultAIBillingOptions settings, string metric, decimal current, decimal quantity) =>
        settings.Metrics.TryGetValue(metric, out var definition)
            ? definition.Aggregation switch
            {
                MetricAggregation.Last or MetricAggregation.Max => quantity,
                _ => current + quantity,
            }
            : current + quantity;

    /// <summary>
    /// The organization, the period <paramref name="now"/> counts in and the metric's total in it: one round trip when the
    /// store can (<see cref="IEntitlementReads"/>), two otherwise. Nothing is cached: a status or plan change is seen by the
    /// next check.
    /// </summary>
    private async Task<EntitlementRead?> ReadAsync(Guid organizationId, string metric, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (store is IEntitlementReads reads)
        {
            var utc = now.ToUniversalTime();
            var month = new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);
            var snapshot = await reads.ReadForEntitlementAsync(organizationId, metric, month, cancellationToken).ConfigureAwait(false);
            if (snapshot is null)
            {
                return null;
            }

            var current = UsagePeriod.For(snapshot.Organization, now);
            var total = snapshot.Totals.TryGetValue(current.Start, out var value) ? value : 0m;
            return new EntitlementRead(snapshot.Organization, current, total / 1.000000000000000000000000000000000m);
        }

        var organization = await store.GetOrganizationAsync(organizationId, cancellationToken).ConfigureAwait(false);
        if (organization is null)
        {
            return null;
        }

        var period = UsagePeriod.For(organization, now);
        return new EntitlementRead(organization, period, await CurrentAsync(organizationId, metric, period, cancellationToken).ConfigureAwait(false));
    }

    private sealed record EntitlementRead(Organization Organization, UsagePeriod Period, decimal Current);

    private async Task<decimal> CurrentAsync(Guid organizationId, string metric, UsagePeriod period, CancellationToken cancellationToken)
    {
        var totals = await store.GetUsageTotalsAsync(organizationId, period.Start, cancellationToken).ConfigureAwait(false);
        var total = totals.FirstOrDefault(t => string.Equals(t.Metric, metric, StringComparison.Ordinal))?.Total ?? 0m;
        // Drop the trailing zeros the database's fixed scale adds (12.000000 is 12).
        return total / 1.000000000000000000000000000000000m;
    }

    private async Task RecordThresholdsAsync(Guid organizationId, string metric, UsagePeriod period, decimal current, decimal limit, CancellationToken cancellationToken)
    {
        // Nothing to record below 80 % (the common case): no event, no key built.
        if (limit > 0 ? current >= limit * 0.8m : current > 0)
        {
            await RecordThresholdAsync(organizationId, metric, period, current, limit, BillingEventTypes.QuotaWarning, "80", cancellationToken).ConfigureAwait(false);
        }

        if (limit > 0 ? current >= limit : current > 0)
        {
            await RecordThresholdAsync(organizationId, metric, period, current, limit, BillingEventTypes.QuotaReached, "100", cancellationToken).ConfigureAwait(false);
        }
    }

    private Task RecordThresholdAsync(Guid organizationId, string metric, UsagePeriod period, decimal current, decimal limit, string type, string tag, CancellationToken cancellationToken) =>
        RecordOnceAsync(
            new BillingEventEntry(
                type,
                organizationId,
                BillingActors.System,
                new JsonObject { ["metric"] = metric, ["current"] = current, ["limit"] = limit, ["percentage"] = Percentage(current, limit), ["period_start"] = period.Start },
                QuotaKey(organizationId, metric, period, tag)),
            cancellationToken);

    private async Task RecordOnceAsync(BillingEventEntry entry, CancellationToken cancellationToken)
    {
        if (_recorded.ContainsKey(entry.DeduplicationKey!))
        {
            return;
        }

        await eventLog.RecordAsync(entry, cancellationToken).ConfigureAwait(false);
        if (_recorded.Count > 100_000)
        {
            _recorded.Clear();
        }

        _recorded.TryAdd(entry.DeduplicationKey!, 0);
    }

    private BillingPlan? PlanOf(Organization organization) =>
        organization.PlanKey is { } key && options.CurrentValue.Plans.TryGetValue(key, out var plan) ? plan : null;

    private static string QuotaKey(Guid organizationId, string metric, UsagePeriod period, string tag) =>
        $"quota:{organizationId:N}:{metric}:{period.Start.ToUnixTimeSeconds()}:{tag}";

    internal static string? UpgradeUrl(EntitlementOptions options, Guid organizationId) =>
        options.UpgradeUrlTemplate?.Replace("{organizationId}", organizationId.ToString("D"), StringComparison.Ordinal);

    internal static decimal? Percentage(decimal current, decimal? limit) => limit switch
    {
        null => null,
        > 0 => decimal.Round(current * 100m / limit.Value, 2),
        _ => current > 0 ? 100m : 0m,
    };

    private static string Plain(decimal value) => (value / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);
}
