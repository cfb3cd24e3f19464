namespace VaultAI.Billing.Events;

/// <summary>Delivery of billing events to <see cref="IBillingEventHandler"/>s (<c>VaultAI:Billing:Events</c>).</summary>
public sealed class BillingEventOptions
{
    /// <summary>Whether this host delivers events to handlers in the background.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool DeliveryEnabled { get; set; } = true;

    /// <summary>How often the outbox is polled when no event was just recorded by this host.</summary>
    /// <value>The default is 5 seconds.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The wait after a handler's first failure; it doubles with each further failure up to <see cref="MaxRetryDelay"/>.</summary>
    /// <value>The default is 10 seconds.</value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest wait between two attempts.</summary>
    /// <value>The default is 1 hour.</value>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Attempts before a delivery is marked failed (visible to administrators).</summary>
    /// <value>The default is 30 (more than a day with the default delays).</value>
    public int MaxAttempts { get; set; } = 30;

    /// <summary>How long a host holds a delivery while its handler runs; a host that dies releases it after this.</summary>
    /// <value>The default is 2 minutes.</value>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);
}
