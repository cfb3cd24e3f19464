namespace VaultAI.Billing.Webhooks;

/// <summary>A Stripe event received by the webhook endpoint (or replayed), unique by Stripe's event id.</summary>
public sealed class WebhookInboxEvent
{
    /// <summary>Stripe's event id (<c>evt_...</c>).</summary>
    public string Id { get; set; } = "";

    /// <summary>The event type, for example <c>customer.subscription.updated</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>The event's <c>created</c> time.</summary>
    public DateTimeOffset Created { get; set; }

    /// <summary>The API version Stripe rendered the event with.</summary>
    public string? ApiVersion { get; set; }

    /// <summary>When it was first received.</summary>
    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>When it was last processed (successfully or not).</summary>
    public DateTimeOffset? ProcessedAt { get; set; }

    /// <summary><see cref="WebhookEventStatus"/> value.</summary>
    public string Status { get; set; } = WebhookEventStatus.Received;

    /// <summary>How many times processing was attempted.</summary>
    public int Attempts { get; set; }

    /// <summary>The last processing error, why the event was ignored, or why it was parked (escaped, capped).</summary>
    public string? LastError { get; set; }

    /// <summary>When a failed event is next retried by the background pass.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>The raw event JSON as Stripe sent it.</summary>
    public string Payload { get; set; } = "";
}

/// <summary>Inbox statuses.</summary>
public static class WebhookEventStatus
{
    /// <summary>Stored, not processed yet.</summary>
    public const string Received = "received";

    /// <summary>Applied.</summary>
    public const string Processed = "processed";

    /// <summary>Stored and deliberately not applied (unknown type, unknown customer...).</summary>
    public const string Ignored = "ignored";

    /// <summary>Processing failed in a way that might be transient; retried in the background and by hand.</summary>
    public const string Failed = "failed";

    /// <summary>
    /// Dead-lettered: the event can never apply as it is (malformed, values out of range, a shape the code rejects), or
    /// failed <see cref="WebhookOptions.MaxAttempts"/> times. Kept with the reason in <see cref="WebhookInboxEvent.LastError"/>,
    /// answered 2xx so Stripe stops, never retried in the background; an administrator's retry applies it if it now can.
    /// </summary>
    public const string Parked = "parked";
}
