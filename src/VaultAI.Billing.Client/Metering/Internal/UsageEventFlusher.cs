using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Client;

/// <summary>
/// Sends the usage event spool at start and then every <see cref="VaultAIBillingClientOptions.UsageFlushInterval"/>;
/// after a pass that stopped on a failure it waits longer (doubling from the interval, capped), so an unreachable host
/// is not hammered. Independent of the daily reporter: an instance that records no events never calls the host here.
/// </summary>
internal sealed class UsageEventFlusher : BackgroundService
{
    private readonly UsageEventSender _sender;
    private readonly TimeProvider _timeProvider;
    private readonly BillingClientTuning _tuning;
    private readonly VaultAIBillingClientOptions _options;
    private readonly ILogger<UsageEventFlusher> _logger;

    public UsageEventFlusher(
        UsageEventSender sender,
        TimeProvider timeProvider,
        BillingClientTuning tuning,
        IOptions<VaultAIBillingClientOptions> options,
        ILogger<UsageEventFlusher> logger)
    {
        _sender = sender;
        _timeProvider = timeProvider;
        _tuning = tuning;
        _options = options.Value;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var result = await _sender.FlushAsync(stoppingToken).ConfigureAwait(false);
                failures = result.Completed ? 0 : failures + 1;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                failures++;
                Log.UsageFlushLoopFailed(_logger, ex);
            }

            try
            {
                await Task.Delay(NextDelay(failures), _timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private TimeSpan NextDelay(int failures)
    {
        var interval = _options.UsageFlushInterval;
        if (failures == 0)
        {
            return interval;
        }

        var cap = Math.Max(interval.Ticks, _tuning.SpoolRetryMaxDelay.Ticks);
        var ticks = Math.Min(interval.Ticks * Math.Pow(2, Math.Min(failures - 1, 20)), cap);
        return TimeSpan.FromTicks((long)ticks);
    }
}
