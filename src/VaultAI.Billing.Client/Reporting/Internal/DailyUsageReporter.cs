using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Client;

/// <summary>
/// The daily reporter: at <see cref="VaultAIBillingClientOptions.ReportTimeOfDay"/> plus a random delay it counts
/// the active users into the spool, then sends the spool; failures are retried with a capped, jittered backoff.
/// At start it first sends whatever the spool still holds. Without an <see cref="IActiveUserCounter"/> it counts nothing.
/// </summary>
internal sealed class DailyUsageReporter : BackgroundService
{
    private readonly ReportDispatcher _dispatcher;
    private readonly UsageSpool _spool;
    private readonly TimeProvider _timeProvider;
    private readonly BillingClientTuning _tuning;
    private readonly ReporterActivity _activity;
    private readonly IServiceProviderIsService _isService;
    private readonly VaultAIBillingClientOptions _options;
    private readonly ILogger<DailyUsageReporter> _logger;

    public DailyUsageReporter(
        ReportDispatcher dispatcher,
        UsageSpool spool,
        TimeProvider timeProvider,
        BillingClientTuning tuning,
        ReporterActivity activity,
        IServiceProviderIsService isService,
        IOptions<VaultAIBillingClientOptions> options,
        ILogger<DailyUsageReporter> logger)
    {
        _dispatcher = dispatcher;
        _spool = spool;
        _timeProvider = timeProvider;
        _tuning = tuning;
        _activity = activity;
        _isService = isService;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>
    /// Whether the instance registered an <see cref="IActiveUserCounter"/>. Without one the client only records generic
    /// metrics (<see cref="IUsageRecorderClient.RecordUsageAsync"/>): no day is counted, and the reporter only delivers
    /// reports an earlier configuration left in the spool, then stops.
    /// </summary>
    private bool _countsUsers;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _countsUsers = _isService.IsService(typeof(IActiveUserCounter));
        if (!_countsUsers)
        {
            Log.DailyReportOff(_logger);
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        _spool.CleanUpTempFiles();
        var lastDay = await _spool.ReadLastReportedDayAsync(stoppingToken).ConfigureAwait(false);
        var (day, runAt) = NextRun(lastDay);
        DateTimeOffset? retryAt = _timeProvider.GetUtcNow(); // send what the spool holds right away
        var failures = 0;

        while (!stoppingToken.IsCancellationRequested)
        {
            var now = _timeProvider.GetUtcNow();
            try
            {
                if (_countsUsers && now >= runAt)
                {
                    try
                    {
                        await _dispatcher.CollectAsync(day, stoppingToken).ConfigureAwait(false);

                        // Remembered so that a restart the same day does not count the day again.
                        await _spool.WriteLastReportedDayAsync(day, stoppingToken).ConfigureAwait(false);
                        lastDay = day;
                        (day, runAt) = NextRun(lastDay);
                        retryAt = now;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                    {
                        runAt = now + Backoff(1);
                        Log.CollectFailed(_logger, day, runAt, ex);
                    }
                }

                if (retryAt is { } due && now >= due)
                {
                    var outcome = await _dispatcher.DrainAsync(stoppingToken).ConfigureAwait(false);
                    _activity.OnDrain(outcome);
                    switch (outcome)
                    {
                        case DrainOutcome.Completed:
                            failures = 0;
                            retryAt = null;
                            break;
                        case DrainOutcome.TransientFailure:
                            failures++;
                            retryAt = now + Backoff(failures);
                            Log.SpoolDeliveryFailed(_logger, _spool.CountPending(), retryAt.Value);
                            break;
                        default:
                            failures++;
                            retryAt = now + _tuning.SpoolRetryMaxDelay;
                            Log.SpoolPaused(_logger, "the billing token is lost or was refused", retryAt.Value);
                            break;
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                failures++;
                retryAt = now + Backoff(failures);
                Log.ReporterLoopFailed(_logger, retryAt.Value, ex);
            }

            if (!_countsUsers && retryAt is null)
            {
                // Nothing to count and the spool is empty: the usage event sender does the rest.
                return;
            }

            var wakeAt = retryAt is { } r && (r < runAt || !_countsUsers) ? r : runAt;
            if (_countsUsers)
            {
                Log.NextRunScheduled(_logger, day, runAt);
            }


            // Timers work in whole milliseconds: round up, or a sub-millisecond remainder would wake the loop
            // early (and again, and again) without time having reached the due moment.
            var current = _timeProvider.GetUtcNow();
            var delay = wakeAt > current ? TimeSpan.FromMilliseconds(Math.Ceiling((wakeAt - current).TotalMilliseconds)) : TimeSpan.Zero;
            var wait = delay > TimeSpan.Zero ? Task.Delay(delay, _timeProvider, stoppingToken) : Task.CompletedTask;
            _activity.OnIdle(current + delay);
            try
            {
                await wait.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private (DateOnly Day, DateTimeOffset RunAt) NextRun(DateOnly? lastDay) =>
        ReportSchedule.Next(_timeProvider.GetUtcNow(), lastDay, _options.ReportTimeOfDay, _options.MaxRandomDelay, _timeProvider.LocalTimeZone, _tuning.Random);

    private TimeSpan Backoff(int failures)
    {
        // Exponential from the minimum, capped, with up to 20% jitter so that instances spread out.
        var exponent = Math.Min(failures - 1, 20);
        var baseTicks = Math.Min(_tuning.SpoolRetryMinDelay.Ticks * Math.Pow(2, exponent), _tuning.SpoolRetryMaxDelay.Ticks);
        var jittered = baseTicks * (0.8 + (0.2 * _tuning.Random.NextDouble()));
        return TimeSpan.FromTicks((long)Math.Min(jittered, _tuning.SpoolRetryMaxDelay.Ticks));
    }
}
