using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Diagnostics;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Metering.Internal;

/// <summary>Runs the dispatcher in the background: a batch at a time while there is work, then a short sleep.</summary>
internal sealed partial class MeterEventDispatcherService(
    IHostApplicationLifetime lifetime,
    IMeterEventDispatcher dispatcher,
    IBillingStore store,
    IOptionsMonitor<VaultAIBillingOptions> options,
    TimeProvider timeProvider,
    BillingDiagnostics diagnostics,
    ILogger<MeterEventDispatcherService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await Diagnostics.HostStarted.WaitAsync(lifetime, stoppingToken).ConfigureAwait(false))
        {
            return;
        }

        if (!options.CurrentValue.Dispatcher.Enabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await dispatcher.DispatchOnceAsync(stoppingToken).ConfigureAwait(false) > 0)
                {
                    continue;
                }

                var counts = await store.CountOutboxAsync(stoppingToken).ConfigureAwait(false);
                diagnostics.SetOutboxDepth(counts.TryGetValue(OutboxStatus.Pending, out var pending) ? pending : 0);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // The database may be briefly away; rows are safe in the outbox and the loop tries again.
                LogLoopError(logger, exception);
            }

            try
            {
                await Task.Delay(options.CurrentValue.Dispatcher.PollInterval, timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 1310, Level = LogLevel.Error, Message = "The meter event dispatcher loop failed; retrying after the poll interval")]
    private static partial void LogLoopError(ILogger logger, Exception exception);
}
