using VaultAI.Billing.Organizations;

namespace VaultAI.Billing.Entitlements.Internal;

/// <summary>
/// The read behind an entitlement check in one round trip: the organization and its period totals of one metric. A store
/// that does not implement it is read with two calls (the organization, then the period totals).
/// </summary>
internal interface IEntitlementReads
{
    /// <summary>
    /// Reads the organization and its recorded totals of <paramref name="metric"/> for the periods a check can count in:
    /// the organization's current subscription period, the one after it, and the calendar month starting at
    /// <paramref name="monthStart"/> (see <see cref="Metering.UsagePeriod.For"/>). One indexed query.
    /// </summary>
    /// <remarks>
    /// A store may answer concurrent reads with one query (the Entity Framework store does on PostgreSQL), but only from a
    /// query sent after the call began: the answer reflects all usage committed before the call.
    /// </remarks>
    /// <returns>The organization and the totals by period start, or <see langword="null"/> when there is no such organization.</returns>
    Task<EntitlementSnapshot?> ReadForEntitlementAsync(Guid organizationId, string metric, DateTimeOffset monthStart, CancellationToken cancellationToken);
}

/// <summary>What <see cref="IEntitlementReads.ReadForEntitlementAsync"/> read.</summary>
/// <param name="Organization">
/// The organization as stored; a store may load only what a decision reads (status, plan, past-due and update times,
/// current period, Stripe ids).
/// </param>
/// <param name="Totals">The metric's recorded totals, by period start (UTC).</param>
internal sealed record EntitlementSnapshot(Organization Organization, IReadOnlyDictionary<DateTimeOffset, decimal> Totals);
