namespace VaultAI.Billing.Entitlements;

/// <summary>
/// Decides entitlements for every surface (the check route, <c>RequireEntitlement</c>, a host's own code): the
/// organization's status, grace and suspension, and whether the current period's recorded total plus the quantity asked for
/// stays within the plan's limit (for a <c>Last</c> or <c>Max</c> metric, the quantity itself is compared with the limit).
/// One indexed read of the period totals; the ledger is never scanned.
/// </summary>
public interface IEntitlementService
{
    /// <summary>May the organization use <paramref name="quantity"/> of <paramref name="metric"/> now?</summary>
    /// <param name="organizationId">The organization (404 <see cref="BillingException"/> when unknown).</param>
    /// <param name="metric">The metric key.</param>
    /// <param name="quantity">The quantity about to be used (at least 0; 0 asks about the status only).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>
    /// The decision. A soft limit exceeded is allowed and recorded once as an <c>over_quota</c> event; crossing 80 % and
    /// 100 % of a limit is recorded once per period each.
    /// </returns>
    Task<EntitlementDecision> CheckAsync(Guid organizationId, string metric, decimal quantity, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records the 80 % and 100 % quota events (once per period each) for a metric whose usage was just recorded.
    /// <c>RecordUsage</c> calls it; call it after recording usage yourself through <c>IUsageRecorder</c>.
    /// </summary>
    /// <param name="organizationId">The organization.</param>
    /// <param name="metric">The metric key.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task.</returns>
    Task NoteUsageAsync(Guid organizationId, string metric, CancellationToken cancellationToken = default);
}
