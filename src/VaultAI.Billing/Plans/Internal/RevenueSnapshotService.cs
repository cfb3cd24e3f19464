using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Plans.Internal;

/// <summary>
/// Records today's MRR snapshot (<see cref="RevenueHistory.RecordAsync"/>) at start, then every
/// <see cref="Interval"/>: the day's row is replaced each time, so a past day keeps the last figures it had, and the
/// first run after midnight (host time) starts the new day. Under the job lock when the store has one, so that one
/// host computes at a time (the write is an upsert: two hosts running at once would still leave one row).
/// </summary>
internal sealed partial class RevenueSnapshotService(
    IHostApplicationLifetime lifetime,
    IServiceProvider services,
    TimeProvider timeProvider,
    ILogger<RevenueSnapshotService> logger) : BackgroundService
{
    public const string JobName = "revenue-history";

    /// <summary>How often today's snapshot is computed again.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await Diagnostics.HostStarted.WaitAsync(lifetime, stoppingToken).ConfigureAwait(false))
        {
            return;
        }

        if (services.GetService<IRevenueHistoryStore>() is null)
        {
            // A store without a revenue history (not AddEntityFrameworkStore): nothing to record into.
            return;
        }

        // Let the host finish starting (and migrating) before the first computation.
        var delay = TimeSpan.FromSeconds(5);
        while (true)
        {
            try
            {
                await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
                await RunAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // The database may be away; the next run computes everything again.
                LogFailed(logger, exception);
            }

            delay = Interval;
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var jobLock = services.GetService<IBillingJobLock>();
        var held = jobLock is null ? null : await jobLock.TryAcquireAsync(JobName, cancellationToken).ConfigureAwait(false);
        if (jobLock is not null && held is null)
        {
            return;
        }

        try
        {
            var snapshots = await services.GetRequiredService<RevenueHistory>().RecordAsync(cancellationToken).ConfigureAwait(false);
            LogRecorded(logger, snapshots.Count);
        }
        finally
        {
            if (held is not null)
            {
                await held.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = 1851, Level = LogLevel.Debug, Message = "MRR snapshot recorded for {Currencies} currencies")]
    private static partial void LogRecorded(ILogger logger, int currencies);

    [LoggerMessage(EventId = 1852, Level = LogLevel.Error, Message = "Recording the MRR snapshot failed; the next run starts after the interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
