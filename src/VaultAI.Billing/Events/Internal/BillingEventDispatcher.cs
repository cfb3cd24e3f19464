using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Events.Internal;

/// <summary>
/// Hands due outbox rows to their handlers: a row is claimed under a lease, the handler is called, and the row is marked
/// delivered, or retried with exponential backoff, or (after <see cref="BillingEventOptions.MaxAttempts"/>) failed.
/// </summary>
internal sealed partial class BillingEventDispatcher(
    IBillingEventStore store,
    IServiceScopeFactory scopes,
    IOptionsMonitor<VaultAIBillingOptions> options,
    TimeProvider timeProvider,
    ILogger<BillingEventDispatcher> logger)
{
    private const int BatchSize = 50;
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    /// <summary>Delivers every due row; returns how many rows it attempted.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue.Events;
        var total = 0;
        while (true)
        {
            var now = timeProvider.GetUtcNow();
            var claimed = await store.ClaimDeliveriesAsync(_owner, now, now + settings.Lease, BatchSize, cancellationToken).ConfigureAwait(false);
            if (claimed.Count == 0)
            {
                return total;
            }

            using var scope = scopes.CreateScope();
            var handlers = scope.ServiceProvider.GetServices<IBillingEventHandler>()
                .GroupBy(BillingEventLog.NameOf, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            foreach (var (delivery, billingEvent) in claimed)
            {
                total++;
                await DeliverAsync(delivery, billingEvent, handlers, settings, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task DeliverAsync(BillingEventDelivery delivery, BillingEvent billingEvent, Dictionary<string, IBillingEventHandler> handlers, BillingEventOptions settings, CancellationToken cancellationToken)
    {
        string? error;
        if (!handlers.TryGetValue(delivery.Handler, out var handler))
        {
            // The handler was unregistered (or renamed) since the event was recorded: keep the row, visible, and retry.
            error = $"No handler named {delivery.Handler} is registered.";
        }
        else
        {
            try
            {
                await handler.HandleAsync(billingEvent, cancellationToken).ConfigureAwait(false);
                await store.CompleteDeliveryAsync(delivery.Id, _owner, BillingEventDeliveryStatus.Delivered, timeProvider.GetUtcNow(), null, null, CancellationToken.None).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Stopping: the lease runs out and the row is delivered later (at least once).
                throw;
            }
            catch (Exception exception)
            {
                error = $"{exception.GetType().Name}: {exception.Message}";
                LogHandlerFailed(logger, exception, delivery.Handler, billingEvent.Type, billingEvent.Id, delivery.Attempts);
            }
        }

        var now = timeProvider.GetUtcNow();
        var attempts = Math.Max(1, delivery.Attempts);
        var giveUp = attempts >= settings.MaxAttempts;
        var delay = TimeSpan.FromTicks(Math.Min(settings.MaxRetryDelay.Ticks, settings.RetryBaseDelay.Ticks * (1L << Math.Min(attempts - 1, 30))));
        await store.CompleteDeliveryAsync(
            delivery.Id,
            _owner,
            giveUp ? BillingEventDeliveryStatus.Failed : BillingEventDeliveryStatus.Pending,
            now,
            giveUp ? null : now + delay,
            error.Length > 2000 ? error[..2000] : error,
            CancellationToken.None).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 1602, Level = LogLevel.Warning, Message = "Billing event handler {Handler} failed on {Type} event {EventId} (attempt {Attempt}); it will be retried")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string handler, string type, Guid eventId, int attempt);
}

/// <summary>Runs <see cref="BillingEventDispatcher"/> when an event is recorded here, and on a poll for those recorded by other hosts.</summary>
internal sealed partial class BillingEventDeliveryService(
    IHostApplicationLifetime lifetime,
    BillingEventDispatcher dispatcher,
    BillingEventSignal signal,
    IOptionsMonitor<VaultAIBillingOptions> options,
    ILogger<BillingEventDeliveryService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await Diagnostics.HostStarted.WaitAsync(lifetime, stoppingToken).ConfigureAwait(false))
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var settings = options.CurrentValue.Events;
            if (settings.DeliveryEnabled)
            {
                try
                {
                    await dispatcher.DeliverDueAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception exception)
                {
                    // The database may be down: keep polling, the rows wait in the outbox.
                    LogLoopFailed(logger, exception);
                }
            }

            try
            {
                // A real-time wait on purpose: it is a polling cadence, while due times follow the injected clock.
                await signal.WaitAsync(settings.PollInterval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 1603, Level = LogLevel.Error, Message = "Billing event delivery failed; retrying at the next poll")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
