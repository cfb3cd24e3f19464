namespace VaultAI.Billing.Client;

/// <summary>
/// Records usage of any metric of the billing host's catalog: events go to the durable local spool first and a
/// background sender delivers them in batches to <c>POST /api/usage-events</c>; the current period's usage is read
/// from <c>GET /api/organizations/{id}/usage</c>. Registered by <c>AddVaultAIBillingClient</c>.
/// </summary>
public interface IUsageRecorderClient
{
    /// <summary>
    /// Writes one usage event to the durable local spool and returns; the event is sent later (every
    /// <see cref="VaultAIBillingClientOptions.UsageFlushInterval"/>, or by <see cref="FlushUsageAsync"/>) and deleted
    /// from the spool only once the billing host acknowledged it. An instance that is offline or restarted loses nothing.
    /// </summary>
    /// <param name="metric">The metric key, as configured in the billing host's catalog (for example <c>call_minutes</c>).</param>
    /// <param name="quantity">The quantity, 0 or more; sent as an exact JSON number.</param>
    /// <param name="timestamp">When the usage happened; by default now, by the injected <see cref="TimeProvider"/>.</param>
    /// <param name="id">The event's unique id (its idempotency key, 1 to 255 characters); by default a new UUID.
    /// Recording the same id twice is counted once by the host.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The event's id.</returns>
    /// <exception cref="ArgumentException">The metric is empty, the quantity negative, or the id empty or longer than 255 characters.</exception>
    Task<string> RecordUsageAsync(string metric, decimal quantity, DateTimeOffset? timestamp = null, string? id = null, CancellationToken cancellationToken = default);

    /// <summary>Sends every spooled usage event now, in batches, instead of waiting for the next interval.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>What the pass sent, quarantined and left in the spool.</returns>
    Task<UsageFlushResult> FlushUsageAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists the usage events the host refused for good (HTTP 400 naming the event), quarantined in the spool's
    /// <c>events/rejected/</c> folder so that they never block the others. Each is also logged as an error (event id 22,
    /// <c>UsageEventRejected</c>) when it is quarantined. Nothing there is sent again.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The quarantined events, oldest first.</returns>
    Task<IReadOnlyList<RejectedUsageEvent>> GetRejectedUsageAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns the organization's usage in the current period: from the cache while it is fresh
    /// (<see cref="VaultAIBillingClientOptions.UsageCacheLifetime"/>), otherwise from the host; when the host cannot
    /// be reached, the last known usage flagged <see cref="OrganizationUsage.IsStale"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The usage.</returns>
    /// <exception cref="VaultAIBillingException">The host refused the request, or it could not be reached and no usage was ever retrieved.</exception>
    Task<OrganizationUsage> GetUsageAsync(CancellationToken cancellationToken = default);
}
