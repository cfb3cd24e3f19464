namespace VaultAI.Billing.Events;

/// <summary>
/// The outbox row of one event for one handler, written in the same transaction as the event and updated until the
/// handler has taken it.
/// </summary>
public sealed class BillingEventDelivery
{
    /// <summary>The row id.</summary>
    public Guid Id { get; set; }

    /// <summary>The event.</summary>
    public Guid EventId { get; set; }

    /// <summary>The handler's name (its type's full name).</summary>
    public string Handler { get; set; } = "";

    /// <summary>One of <see cref="BillingEventDeliveryStatus"/>.</summary>
    public string Status { get; set; } = BillingEventDeliveryStatus.Pending;

    /// <summary>How many times the handler was called.</summary>
    public int Attempts { get; set; }

    /// <summary>When the next attempt is due.</summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>The host holding the row while calling the handler.</summary>
    public string? LeaseOwner { get; set; }

    /// <summary>Until when the lease holds; after it another host may take the row.</summary>
    public DateTimeOffset? LeaseUntil { get; set; }

    /// <summary>The last failure (exception type and message).</summary>
    public string? LastError { get; set; }

    /// <summary>When the handler took the event.</summary>
    public DateTimeOffset? DeliveredAt { get; set; }
}

/// <summary>The statuses of a <see cref="BillingEventDelivery"/>.</summary>
public static class BillingEventDeliveryStatus
{
    /// <summary>Waiting for (another) attempt.</summary>
    public const string Pending = "pending";

    /// <summary>The handler took the event.</summary>
    public const string Delivered = "delivered";

    /// <summary>The attempts ran out; an administrator can see it.</summary>
    public const string Failed = "failed";
}
