namespace VaultAI.Billing.Metering;

/// <summary>A meter event waiting to be sent to Stripe, written in the same transaction as its report.</summary>
public sealed class MeterEventOutboxMessage
{
    /// <summary>The row id.</summary>
    public Guid Id { get; set; }

    /// <summary>The report this event bills; <see langword="null"/> for a roll-up of a metric's window (see <see cref="UsageRollup"/>).</summary>
    public Guid? UsageReportId { get; set; }

    /// <summary>The organization.</summary>
    public Guid OrganizationId { get; set; }

    /// <summary>Stripe's meter event name.</summary>
    public string EventName { get; set; } = "";

    /// <summary>The Stripe customer the event is for.</summary>
    public string StripeCustomerId { get; set; } = "";

    /// <summary>The value sent.</summary>
    public long Value { get; set; }

    /// <summary>The deterministic Stripe identifier (at most 100 characters): Stripe dedupes on it.</summary>
    public string Identifier { get; set; } = "";

    /// <summary>The event timestamp sent to Stripe.</summary>
    public DateTimeOffset Timestamp { get; set; }

    /// <summary><see cref="OutboxStatus"/> value.</summary>
    public string Status { get; set; } = OutboxStatus.Pending;

    /// <summary>How many send attempts were made.</summary>
    public int Attempts { get; set; }

    /// <summary>Not before this time is the row claimed again.</summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>The dispatcher holding the row, while it holds it.</summary>
    public string? LeaseOwner { get; set; }

    /// <summary>When the lease ends; an expired lease makes the row claimable again.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>The last error (Stripe's message), if any.</summary>
    public string? LastError { get; set; }

    /// <summary>Stripe's request id of the successful call.</summary>
    public string? StripeRequestId { get; set; }

    /// <summary>When the row was created.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the row was sent.</summary>
    public DateTimeOffset? SentAt { get; set; }
}

/// <summary>Outbox row statuses.</summary>
public static class OutboxStatus
{
    /// <summary>Waiting to be sent (or retried).</summary>
    public const string Pending = "pending";

    /// <summary>Accepted by Stripe.</summary>
    public const string Sent = "sent";

    /// <summary>Rejected permanently; visible to the administrator and retryable by hand.</summary>
    public const string Failed = "failed";
}
