using VaultAI.Billing.Metering;

namespace VaultAI.Billing.Entitlements.Internal;

/// <summary>
/// Reservations against a hard limit, for <c>RequireEntitlement(..., reserve: true)</c>: a store that implements this checks
/// and reserves in one atomic step, so concurrent requests can never pass the limit together, and records a reserved
/// request's usage and gives its reservation back in one transaction, so no reader ever counts that usage twice or not at all.
/// </summary>
internal interface IQuotaReservations
{
    /// <summary>
    /// Adds <paramref name="quantity"/> to the period's reserved amount if the recorded total, the amounts already reserved
    /// and <paramref name="quantity"/> stay within <paramref name="limit"/>; otherwise changes nothing.
    /// </summary>
    /// <returns>Whether the quantity was reserved.</returns>
    Task<bool> TryReserveAsync(Guid organizationId, string metric, DateTimeOffset periodStart, DateTimeOffset periodEnd, decimal quantity, decimal limit, CancellationToken cancellationToken);

    /// <summary>Gives back a reservation whose request recorded nothing (it failed, or recorded no usage).</summary>
    Task ReleaseAsync(QuotaReservation reservation, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="Storage.IBillingStore.AppendUsageEventsAsync"/> and <see cref="ReleaseAsync"/> in one transaction: the period
    /// total grows by the new events and the reservation shrinks by its quantity in the same commit (also when every event is
    /// a duplicate, as on a retried request). When it throws, nothing was written and the reservation is still held.
    /// </summary>
    /// <returns>The event ids that were new.</returns>
    Task<IReadOnlyCollection<string>> AppendUsageEventsAndReleaseAsync(
        Guid organizationId,
        IReadOnlyList<UsageEventRecord> events,
        IReadOnlyDictionary<string, MetricAggregation> aggregations,
        UsageRollup? rollup,
        QuotaReservation reservation,
        CancellationToken cancellationToken);
}

/// <summary>A quantity reserved by <see cref="IQuotaReservations.TryReserveAsync"/>, to give back once the request is over.</summary>
internal sealed record QuotaReservation(Guid OrganizationId, string Metric, DateTimeOffset PeriodStart, decimal Quantity);
