namespace VaultAI.Billing.Events;

/// <summary>
/// A host's reaction to billing events (send an e-mail, stop or resume a customer's services). Register it with
/// <c>services.AddBillingEventHandler&lt;T&gt;()</c>. Delivery is at least once: a handler that throws is called again
/// later with backoff, and after a crash an event may come again, so handle <see cref="BillingEvent.Id"/> idempotently.
/// In a healthy run each handler sees each event id once.
/// </summary>
public interface IBillingEventHandler
{
    /// <summary>Handles one event.</summary>
    /// <param name="billingEvent">The event.</param>
    /// <param name="cancellationToken">Cancels the operation (the host is stopping).</param>
    /// <returns>A task; an exception means "try again later".</returns>
    Task HandleAsync(BillingEvent billingEvent, CancellationToken cancellationToken);
}
