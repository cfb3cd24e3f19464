using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Subscriptions.Internal;

/// <summary>
/// Schedules <see cref="SubscriptionLifecycle.ReconcileAsync"/>: after <see cref="ReconciliationOptions.InitialDelay"/>,
/// then every <see cref="ReconciliationOptions.Interval"/>, under the job lock so that one host runs it at a time.
/// </summary>
internal sealed partial class SubscriptionReconciliationService(
    IHostApplicationLifetime lifetime,
    IServiceScopeFactory scopes,
    IServiceProvider services,
    IOptionsMonitor<VaultAIBillingOptions> options,
    TimeProvider timeProvider,
    ILogger<SubscriptionReconciliationService> logger) : BackgroundService
{
    public const string JobName = "reconciliation";

    public const string SeatsJobName = "seats";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await Diagnostics.HostStarted.WaitAsync(lifetime, stoppingToken).ConfigureAwait(false))
        {
            return;
        }

        var settings = options.CurrentValue.Reconciliation;
        if (!settings.Enabled)
        {
            return;
        }

        if (services.GetService<IBillingJobLock>() is not { } jobLock)
        {
            LogNoLock(logger);
            return;
        }

        var seats = FollowSeatsLoopAsync(jobLock, settings.InitialDelay, stoppingToken);
        await ReconcileLoopAsync(jobLock, settings.InitialDelay, stoppingToken).ConfigureAwait(false);
        await seats.ConfigureAwait(false);
    }

    private async Task ReconcileLoopAsync(IBillingJobLock jobLock, TimeSpan delay, CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
                await RunAsync(jobLock, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // Stripe or the database may be away; the next run reads everything again.
                LogRunFailed(logger, exception);
            }

            delay = options.CurrentValue.Reconciliation.Interval;
        }
    }

    /// <summary>Every <see cref="ReconciliationOptions.SeatsInterval"/>, when a plan's seats follow a metric.</summary>
    private async Task FollowSeatsLoopAsync(IBillingJobLock jobLock, TimeSpan delay, CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
                if (options.CurrentValue.Plans.Values.Any(p => p.Seats?.Metric is not null))
                {
                    await FollowSeatsAsync(jobLock, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogSeatsFailed(logger, exception);
            }

            delay = options.CurrentValue.Reconciliation.SeatsInterval;
        }
    }

    private async Task FollowSeatsAsync(IBillingJobLock jobLock, CancellationToken cancellationToken)
    {
        var held = await jobLock.TryAcquireAsync(SeatsJobName, cancellationToken).ConfigureAwait(false);
        if (held is null)
        {
            return;
        }

        await using (held.ConfigureAwait(false))
        {
            var scope = scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                var changed = await scope.ServiceProvider.GetRequiredService<SubscriptionLifecycle>().FollowAllSeatsAsync(cancellationToken).ConfigureAwait(false);
                if (changed > 0)
                {
                    LogSeatsRun(logger, changed);
                }
            }
        }
    }

    private async Task RunAsync(IBillingJobLock jobLock, CancellationToken cancellationToken)
    {
        var held = await jobLock.TryAcquireAsync(JobName, cancellationToken).ConfigureAwait(false);
        if (held is null)
        {
            LogSkipped(logger);
            return;
        }

        await using (held.ConfigureAwait(false))
        {
            var scope = scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                var result = await scope.ServiceProvider.GetRequiredService<SubscriptionLifecycle>().ReconcileAsync(cancellationToken).ConfigureAwait(false);
                LogRun(logger, result.Read, result.Matched, result.Repaired);
            }
        }
    }

    [LoggerMessage(EventId = 1711, Level = LogLevel.Information, Message = "Reconciliation read {Read} Stripe subscriptions, {Matched} linked, {Repaired} repaired")]
    private static partial void LogRun(ILogger logger, int read, int matched, int repaired);

    [LoggerMessage(EventId = 1715, Level = LogLevel.Information, Message = "Seat quantities of {Changed} subscriptions now follow their metric")]
    private static partial void LogSeatsRun(ILogger logger, int changed);

    [LoggerMessage(EventId = 1716, Level = LogLevel.Error, Message = "Making seat quantities follow their metric failed; the next pass starts after the interval")]
    private static partial void LogSeatsFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1712, Level = LogLevel.Information, Message = "Reconciliation skipped: another host holds the job lock")]
    private static partial void LogSkipped(ILogger logger);

    [LoggerMessage(EventId = 1714, Level = LogLevel.Error, Message = "Reconciliation is enabled but the store provides no IBillingJobLock (AddEntityFrameworkStore does); it will not run")]
    private static partial void LogNoLock(ILogger logger);

    [LoggerMessage(EventId = 1713, Level = LogLevel.Error, Message = "Reconciliation failed; the next run starts after the interval")]
    private static partial void LogRunFailed(ILogger logger, Exception exception);
}
