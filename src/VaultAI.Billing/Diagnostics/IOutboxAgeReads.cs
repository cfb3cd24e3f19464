namespace VaultAI.Billing.Diagnostics;

/// <summary>
/// What the outbox age gauges read from a store that can answer it (the EF store does): the creation time of the oldest
/// row still waiting in each outbox. A store without it simply has no age gauges.
/// </summary>
internal interface IOutboxAgeReads
{
    /// <summary>The oldest pending meter event's creation and the oldest pending billing event delivery's event time.</summary>
    Task<OldestPending> ReadOldestPendingAsync(CancellationToken cancellationToken);
}

/// <summary>When the oldest waiting row of each outbox was written; <see langword="null"/> when that outbox is empty.</summary>
/// <param name="MeterEvent">The oldest pending meter event (Stripe has not accepted it yet).</param>
/// <param name="BillingEventDelivery">The event of the oldest pending billing event delivery (a host hook has not taken it yet).</param>
internal readonly record struct OldestPending(DateTimeOffset? MeterEvent, DateTimeOffset? BillingEventDelivery);
