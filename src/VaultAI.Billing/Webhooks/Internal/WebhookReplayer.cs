using Microsoft.Extensions.Logging;
using VaultAI.Billing.Storage;
using Stripe;

namespace VaultAI.Billing.Webhooks.Internal;

/// <summary>
/// Pushes events listed from Stripe's <c>/v1/events</c> through the same path as webhooks, oldest first, so
/// events missed while the host was down are applied. Already-applied events are skipped by the inbox: running
/// it twice changes nothing the second time.
/// </summary>
internal sealed partial class WebhookReplayer(IBillingStore store, StripeClient stripe, WebhookProcessor processor, TimeProvider timeProvider, ILogger<WebhookReplayer> logger)
{
    public async Task<WebhookReplayResult> ReplayAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var events = new List<Event>();
        var listed = stripe.V1.Events.ListAutoPagingAsync(
            new EventListOptions { Created = new DateRangeOptions { GreaterThanOrEqual = since.UtcDateTime }, Limit = 100 },
            cancellationToken: cancellationToken);
        await foreach (var stripeEvent in listed.ConfigureAwait(false))
        {
            events.Add(stripeEvent);
        }

        int processed = 0, ignored = 0, skipped = 0, failed = 0;
        foreach (var stripeEvent in events.OrderBy(e => e.Created).ThenBy(e => e.Id, StringComparer.Ordinal))
        {
            try
            {
                // The inbox keeps the event as Stripe listed it, so an administrator's retry reads the same JSON.
                var json = stripeEvent.RawJsonElement?.GetRawText() ?? throw new BillingException(502, "stripe_error", $"Stripe.net kept no JSON of event {stripeEvent.Id}.");
                var outcome = await processor.ReceiveAsync(json, cancellationToken).ConfigureAwait(false);
                _ = outcome switch
                {
                    WebhookOutcome.Duplicate => skipped++,
                    WebhookOutcome.Ignored => ignored++,
                    WebhookOutcome.Parked => failed++,
                    _ => processed++,
                };
            }
            catch (BillingException)
            {
                failed++;
            }
        }

        LogReplayed(logger, since, events.Count, processed, skipped, failed);
        return new WebhookReplayResult(events.Count, processed, ignored, skipped, failed);
    }

    /// <summary>
    /// Processes one stored event again (an administrator's retry, or the background pass). A parked event is applied if
    /// it now can (after a fix); if it still cannot, it stays parked with the new reason.
    /// </summary>
    public async Task<string> RetryAsync(string eventId, CancellationToken cancellationToken)
    {
        var row = await store.GetWebhookEventAsync(eventId, cancellationToken).ConfigureAwait(false)
            ?? throw new BillingException(404, "webhook_event_not_found", $"No Stripe event {WebhookText.Safe(eventId)} in the inbox.", "event_id");
        Event stripeEvent;
        try
        {
            stripeEvent = StripeEvents.Parse(row.Payload);
        }
        catch (MalformedEventException exception)
        {
            await store.CompleteWebhookEventAsync(eventId, WebhookEventStatus.Parked, WebhookText.Safe(exception.Message, 1000), timeProvider.GetUtcNow(), null, cancellationToken).ConfigureAwait(false);
            LogStillParked(logger, WebhookText.Safe(eventId), WebhookText.Safe(exception.Message));
            return WebhookEventStatus.Parked;
        }

        if (!string.Equals(stripeEvent.Id, row.Id, StringComparison.Ordinal))
        {
            await store.CompleteWebhookEventAsync(eventId, WebhookEventStatus.Parked, "The event id is ambiguous.", timeProvider.GetUtcNow(), null, cancellationToken).ConfigureAwait(false);
            return WebhookEventStatus.Parked;
        }

        var outcome = await processor.ProcessAsync(stripeEvent, cancellationToken).ConfigureAwait(false);
        return outcome switch
        {
            WebhookOutcome.Ignored => WebhookEventStatus.Ignored,
            WebhookOutcome.Parked => WebhookEventStatus.Parked,
            _ => WebhookEventStatus.Processed,
        };
    }

    [LoggerMessage(EventId = 1511, Level = LogLevel.Warning, Message = "Stripe event {EventId} retried and still parked: {Reason}")]
    private static partial void LogStillParked(ILogger logger, string eventId, string reason);

    [LoggerMessage(EventId = 1510, Level = LogLevel.Information, Message = "Replayed Stripe events since {Since}: {Listed} listed, {Processed} applied, {Skipped} already known, {Failed} failed")]
    private static partial void LogReplayed(ILogger logger, DateTimeOffset since, int listed, int processed, int skipped, int failed);
}

/// <summary>The result of a webhook replay.</summary>
/// <param name="Listed">Events listed by Stripe since the given time.</param>
/// <param name="Processed">Events applied now.</param>
/// <param name="Ignored">Events stored and deliberately not applied.</param>
/// <param name="AlreadyKnown">Events already applied before (skipped).</param>
/// <param name="Failed">Events whose processing failed (recorded for retry) or that were parked.</param>
public sealed record WebhookReplayResult(int Listed, int Processed, int Ignored, int AlreadyKnown, int Failed);
