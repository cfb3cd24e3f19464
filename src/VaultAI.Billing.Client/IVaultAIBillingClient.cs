namespace VaultAI.Billing.Client;

/// <summary>The typed client of the VaultAI billing host, used by an instance.</summary>
public interface IVaultAIBillingClient
{
    /// <summary>Gets where the client stands with its credentials (for example <see cref="BillingClientState.TokenLost"/>).</summary>
    BillingClientState State { get; }

    /// <summary>
    /// Registers this instance's organization and stores the issued token. When a token is already stored it is
    /// sent as proof of ownership, and the host answers "already registered" without issuing a new one.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The registration outcome.</returns>
    /// <exception cref="BillingTokenLostException">The host already has the organization and no valid token is stored.</exception>
    /// <exception cref="VaultAIBillingException">The host refused the registration or could not be reached.</exception>
    Task<RegistrationResult> RegisterAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends one usage report, registering first if no token is stored. Retried on transient failures
    /// with the same idempotency key, so the host counts it once.
    /// </summary>
    /// <param name="report">The report.</param>
    /// <param name="idempotencyKey">The idempotency key; by default <c>{organization_id}:{metric}:{yyyy-MM-dd}</c> of the report's local date.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The host's acknowledgement.</returns>
    /// <exception cref="VaultAIBillingException">The host refused the report or could not be reached.</exception>
    Task<UsageReportResult> ReportUsageAsync(UsageReport report, string? idempotencyKey = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns the organization's status: from the cache while it is fresh, otherwise from the host; when the host
    /// cannot be reached, the last known status flagged <see cref="OrganizationStatus.IsStale"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The status.</returns>
    /// <exception cref="VaultAIBillingException">The host refused the request, or it could not be reached and no status was ever retrieved.</exception>
    Task<OrganizationStatus> GetStatusAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Asks the billing host whether the organization may use <paramref name="quantity"/> more of <paramref name="metric"/> now,
    /// judged against the usage the host has recorded this period. When the host cannot be reached, the answer comes from the
    /// cached status (<see cref="GetStatusAsync"/>) if it is at most <see cref="VaultAIBillingClientOptions.EntitlementCacheMaxAge"/>
    /// old, flagged <see cref="EntitlementCheck.IsStale"/>: entitled as it was then, with no quota known.
    /// </summary>
    /// <param name="metric">The metric key, for example <c>ai_tokens</c>.</param>
    /// <param name="quantity">The quantity about to be used (0 asks about the subscription only).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The answer; a refusal carries the host's code, quota and upgrade URL.</returns>
    /// <exception cref="VaultAIBillingException">The host refused the request (other than 402), or it could not be reached and no recent enough status is cached.</exception>
    Task<EntitlementCheck> CheckEntitlementAsync(string metric, long quantity, CancellationToken cancellationToken = default);
}
