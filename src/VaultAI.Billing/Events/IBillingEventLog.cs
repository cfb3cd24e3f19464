namespace VaultAI.Billing.Events;

/// <summary>
/// The append-only billing event log. Recording an event also queues it, in the same transaction, for every registered
/// <see cref="IBillingEventHandler"/>, so a handler receives it at least once even if the host stops right after.
/// </summary>
public interface IBillingEventLog
{
    /// <summary>Records an event.</summary>
    /// <param name="entry">The event.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The recorded event, or <see langword="null"/> when an event with the same deduplication key was recorded before.</returns>
    Task<BillingEvent?> RecordAsync(BillingEventEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Reads events, newest first.</summary>
    /// <param name="query">The filter and page.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The page.</returns>
    Task<BillingEventPage> QueryAsync(BillingEventQuery query, CancellationToken cancellationToken = default);
}
