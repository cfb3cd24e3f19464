using VaultAI.Billing.Testing.Webhooks.Internal;

namespace VaultAI.Billing.Testing;

/// <summary>
/// Controls how the emulator delivers webhooks, to exercise a receiver against Stripe's real
/// guarantees: at least once, in no particular order. Deliveries are sequential.
/// </summary>
public sealed class EmulatorDeliveryControls
{
    private readonly WebhookDispatcher _dispatcher;

    internal EmulatorDeliveryControls(WebhookDispatcher dispatcher)
    {
        _dispatcher = dispatcher;
    }

    /// <summary>Gets the number of deliveries waiting to be sent (including held ones).</summary>
    public int Pending => _dispatcher.PendingCount;

    /// <summary>Gets every finished delivery (succeeded, given up, or dropped), in completion order.</summary>
    public IReadOnlyList<WebhookDelivery> Delivered => _dispatcher.Delivered;

    /// <summary>Gets whether deliveries are held.</summary>
    public bool IsHeld => _dispatcher.IsHeld;

    /// <summary>Queues every subsequent event twice per endpoint (Stripe's at-least-once delivery).</summary>
    /// <param name="enabled">Whether to duplicate.</param>
    public void DeliverTwice(bool enabled = true) => _dispatcher.DeliverTwice = enabled;

    /// <summary>Sends pending deliveries in random order instead of creation order.</summary>
    /// <param name="enabled">Whether to shuffle.</param>
    /// <param name="seed">An optional seed for a reproducible order.</param>
    public void Shuffle(bool enabled = true, int? seed = null) => _dispatcher.SetShuffle(enabled, seed);

    /// <summary>Stops sending; events keep queueing until <see cref="ReleaseAsync"/>.</summary>
    public void Hold() => _dispatcher.Hold();

    /// <summary>Resumes sending and waits until everything pending has been delivered.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the queue is empty.</returns>
    public Task ReleaseAsync(CancellationToken cancellationToken = default) => _dispatcher.ReleaseAsync(cancellationToken);

    /// <summary>Discards the next <paramref name="n"/> deliveries without sending them (lost webhooks).</summary>
    /// <param name="n">How many to drop.</param>
    public void DropNext(int n = 1) => _dispatcher.DropNext(n);

    /// <summary>
    /// Waits until every pending delivery has finished (including retries). Returns at once
    /// for held deliveries, which only <see cref="ReleaseAsync"/> sends.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when nothing deliverable is pending or in flight.</returns>
    public Task FlushAsync(CancellationToken cancellationToken = default) => _dispatcher.FlushAsync(cancellationToken);
}
