namespace VaultAI.Billing.Events;

/// <summary>What the billing event log needs from its database (implemented by <c>VaultAI.Billing.EntityFramework</c>).</summary>
public interface IBillingEventStore
{
    /// <summary>Appends an event and its delivery rows in one transaction.</summary>
    /// <param name="billingEvent">The event.</param>
    /// <param name="deliveries">One row per handler.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="false"/> when an event with the same deduplication key exists (nothing is written).</returns>
    Task<bool> AppendAsync(BillingEvent billingEvent, IReadOnlyList<BillingEventDelivery> deliveries, CancellationToken cancellationToken = default);

    /// <summary>Reads events, newest first.</summary>
    /// <param name="query">The filter and page.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The page.</returns>
    Task<BillingEventPage> QueryAsync(BillingEventQuery query, CancellationToken cancellationToken = default);

    /// <summary>Claims up to <paramref name="take"/> pending deliveries that are due and not leased, with their events.</summary>
    /// <param name="owner">The claiming host.</param>
    /// <param name="now">The current time.</param>
    /// <param name="leaseUntil">Until when the claim holds.</param>
    /// <param name="take">The most rows to claim.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The claimed rows and their events.</returns>
    Task<IReadOnlyList<(BillingEventDelivery Delivery, BillingEvent Event)>> ClaimDeliveriesAsync(string owner, DateTimeOffset now, DateTimeOffset leaseUntil, int take, CancellationToken cancellationToken = default);

    /// <summary>Records an attempt's outcome on a claimed row; ignored when <paramref name="owner"/> lost the lease.</summary>
    /// <param name="deliveryId">The row.</param>
    /// <param name="owner">The claiming host.</param>
    /// <param name="status">The new status.</param>
    /// <param name="at">When.</param>
    /// <param name="nextAttemptAt">For a retry, when.</param>
    /// <param name="error">For a failure, what went wrong.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether the row was updated.</returns>
    Task<bool> CompleteDeliveryAsync(Guid deliveryId, string owner, string status, DateTimeOffset at, DateTimeOffset? nextAttemptAt, string? error, CancellationToken cancellationToken = default);

    /// <summary>Counts delivery rows by status.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Status to count.</returns>
    Task<IReadOnlyDictionary<string, int>> CountDeliveriesAsync(CancellationToken cancellationToken = default);
}
