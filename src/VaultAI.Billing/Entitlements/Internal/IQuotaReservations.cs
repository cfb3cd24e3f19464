namespace VaultAI.Billing.Entitlements.Internal;

/// <summary>
/// Reservations against a hard limit, for <c>RequireEntitlement(..., reserve: true)</c>: a store that implements this checks
/// and reserves in one atomic step, so concurrent requests can never pass the limit together.
/// </summary>
internal interface IQuotaReservations
{
    /// <summary>
    /// Adds <paramref name="quantity"/> to the period's reserved amount if the recorded total, the amounts already reserved
    /// and <paramref name="quantity"/> stay within <paramref name="limit"/>; otherwise changes nothing.
    /// </summary>
    /// <returns>Whether the quantity was reserved.</returns>
    Task<bool> TryReserveAsync(Guid organizationId, string metric, DateTimeOffset periodStart, DateTimeOffset periodEnd, decimal quantity, decimal limit, CancellationToken cancellationToken);

    /// <summary>Gives back a reservation (the request failed, or its usage is now recorded in the total).</summary>
    Task ReleaseAsync(Guid organizationId, string metric, DateTimeOffset periodStart, decimal quantity, CancellationToken cancellationToken);
}

/// <summary>A quantity reserved by <see cref="IQuotaReservations.TryReserveAsync"/>, to release once the request is over.</summary>
internal sealed record QuotaReservation(Guid OrganizationId, string Metric, DateTimeOffset PeriodStart, decimal Quantity);
