namespace VaultAI.Billing.Metering;

/// <summary>Sends queued meter events to Stripe. A background service calls it in a loop; tests and tools may call it directly.</summary>
public interface IMeterEventDispatcher
{
    /// <summary>Claims one batch of due outbox rows and sends it.</summary>
    /// <param name="cancellationToken">Cancels the pass; claimed rows come back when their lease expires.</param>
    /// <returns>How many rows were claimed.</returns>
    Task<int> DispatchOnceAsync(CancellationToken cancellationToken = default);
}
