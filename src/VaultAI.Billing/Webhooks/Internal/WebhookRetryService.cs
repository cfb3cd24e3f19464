using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Webhooks.Internal;

/// <summary>Retries failed (or interrupted) inbox events in the background, with the backoff recorded on each row.</summary>
internal sealed partial class WebhookRetryService(
    IHostApplicationLifetime lifetime,
    IServiceScopeFactory scopeFactory,
    IOptionsMonitor<VaultAIBillingOptions> options,
    TimeProvider timeProvider,
    ILogger<WebhookRetryService> logger) : BackgroundService
{
    /// <summary>One pass; returns how many events were retried.</summary>
    internal async Task<int> RetryDueAsync(CancellationToken cancellationToken)
    {
        using var scope = scopeFactory.CreateScope();
        var store = scope.ServiceProvider.GetRequiredService<IBillingStore>();
        var replayer = scope.ServiceProvider.GetRequiredService<WebhookReplayer>();
        var due = await store.ListDueWebhookRetriesAsync(timeProvider.GetUtcNow(), 100, cancellationToken).ConfigureAwait(false);
        foreach (var row in due)
        {
            try
            {
                await replayer.RetryAsync(row.Id, cancellationToken).ConfigureAwait(false);
            }
            catch (BillingException)
            {
                // Recorded on the row with its next attempt time.
            }
        }

        return due.Count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await Diagnostics.HostStarted.WaitAsync(lifetime, stoppingToken).ConfigureAwait(false))
        {
            return;
        }

        if (!options.CurrentValue.Webhooks.RetryInBackground)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.CurrentValue.Webhooks.RetryInterval, timeProvider, stoppingToken).ConfigureAwait(false);
                await RetryDueAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogPassFailed(logger, exception);
            }
        }
    }

    [LoggerMessage(EventId = 1520, Level = LogLevel.Error, Message = "The webhook retry pass failed; it runs again after the retry interval")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
