using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace VaultAI.Billing.Testing;

/// <summary>Settings for <see cref="StripeEmulator.StartAsync"/>.</summary>
public sealed class StripeEmulatorOptions
{
    /// <summary>Gets or sets the port to listen on (on <c>127.0.0.1</c>).</summary>
    /// <value>The default is 0: a free port is chosen and reported through <see cref="StripeEmulator.BaseAddress"/>.</value>
    public int Port { get; set; }

    /// <summary>Gets or sets the secret API key clients must send.</summary>
    /// <value>The default is <see langword="null"/>: a random <c>sk_test_emulator_...</c> key is generated.</value>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the webhook signing secret.</summary>
    /// <value>The default is <see langword="null"/>: a random <c>whsec_...</c> secret is generated.</value>
    public string? WebhookSecret { get; set; }

    /// <summary>Gets or sets the emulator's clock; share it with the code under test.</summary>
    /// <value>The default is <see langword="null"/>: a new <see cref="FakeTimeProvider"/> at the real current UTC time
    /// (not FakeTimeProvider's own default start, 2000-01-01).</value>
    public FakeTimeProvider? Clock { get; set; }

    /// <summary>Gets or sets how many times a failed invoice payment is retried before the subscription ends.</summary>
    /// <value>The default is 3 retries (so 4 attempts in all).</value>
    public int PaymentRetryAttempts { get; set; } = 3;

    /// <summary>Gets or sets the time between payment retries of a failed invoice.</summary>
    /// <value>The default is 3 days.</value>
    public TimeSpan PaymentRetryInterval { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Gets or sets the subscription status once retries are exhausted: <c>canceled</c> or <c>unpaid</c>.</summary>
    /// <value>The default is <c>canceled</c>.</value>
    public string FailedPaymentFinalStatus { get; set; } = "canceled";

    /// <summary>Gets or sets whether webhooks are delivered as soon as events occur. When false, deliveries start held.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool DeliverWebhooksAutomatically { get; set; } = true;

    /// <summary>Gets or sets the first retry delay of a failed webhook delivery (doubled on each retry, real time).</summary>
    /// <value>The default is 10 milliseconds.</value>
    public TimeSpan WebhookRetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Gets or sets how many attempts a webhook delivery gets before it is given up.</summary>
    /// <value>The default is 5 attempts.</value>
    public int WebhookMaxAttempts { get; set; } = 5;

    /// <summary>Gets or sets the timeout of one webhook delivery attempt.</summary>
    /// <value>The default is 10 seconds.</value>
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets whether the clock also follows real time (checked every second), for interactive use
    /// such as a demo host. Tests leave it off and move time with <see cref="StripeEmulator.AdvanceTimeAsync"/>.
    /// </summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool FollowRealTime { get; set; }

    /// <summary>
    /// Gets or sets how many <c>POST /v1/billing/meter_events</c> calls a second the emulator accepts, as Stripe
    /// limits them per account (1,000 in live mode); calls beyond it are answered 429 <c>rate_limit</c>, in real time.
    /// </summary>
    /// <value>The default is <see langword="null"/>: no limit.</value>
    public int? MeterEventsPerSecond { get; set; }

    /// <summary>
    /// Gets or sets how many <c>POST /v2/billing/meter_event_stream</c> requests a second the emulator accepts
    /// (Stripe: 10,000 in live mode); requests beyond it are answered 429 <c>rate_limit</c>, in real time.
    /// </summary>
    /// <value>The default is <see langword="null"/>: no limit.</value>
    public int? MeterEventStreamRequestsPerSecond { get; set; }

    /// <summary>
    /// Gets or sets the clock webhook signatures are timestamped with. Stripe signs each delivery at the real time it
    /// is sent, even for events of a test clock a month ahead; set <see cref="TimeProvider.System"/> when the receiver
    /// checks signatures against real time while the emulator's clock is moved forward (a demo host).
    /// </summary>
    /// <value>The default is <see langword="null"/>: the emulator's <see cref="Clock"/>, which tests share with the receiver.</value>
    public TimeProvider? WebhookSignatureClock { get; set; }

    /// <summary>
    /// Gets or sets a JSON file that keeps the emulated account across restarts, for interactive use such as a demo
    /// host: it is loaded at start and rewritten (atomically) shortly after each change and when the emulator stops.
    /// A missing, older-format or unreadable file is reported in one log line and the emulator starts empty.
    /// </summary>
    /// <value>The default is <see langword="null"/>: the account lives in memory only.</value>
    public string? StatePath { get; set; }

    /// <summary>Gets or sets where the emulator reports its state file notices (loaded, ignored, not saved).</summary>
    /// <value>The default is <see langword="null"/>: notices are dropped.</value>
    public ILogger? Logger { get; set; }

    internal void Validate()
    {
        if (MeterEventsPerSecond is < 1 || MeterEventStreamRequestsPerSecond is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MeterEventsPerSecond), "StripeEmulatorOptions.MeterEventsPerSecond and MeterEventStreamRequestsPerSecond must be null (no limit) or at least 1.");
        }

        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "StripeEmulatorOptions.Port must be 0 (any free port) or a port number up to 65535.");
        }

        if (PaymentRetryAttempts < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(PaymentRetryAttempts), PaymentRetryAttempts, "StripeEmulatorOptions.PaymentRetryAttempts must be 0 or more.");
        }

        if (PaymentRetryInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(PaymentRetryInterval), PaymentRetryInterval, "StripeEmulatorOptions.PaymentRetryInterval must be positive.");
        }

        if (FailedPaymentFinalStatus is not ("canceled" or "unpaid"))
        {
            throw new ArgumentException("StripeEmulatorOptions.FailedPaymentFinalStatus must be \"canceled\" or \"unpaid\".", nameof(FailedPaymentFinalStatus));
        }

        if (WebhookMaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(WebhookMaxAttempts), WebhookMaxAttempts, "StripeEmulatorOptions.WebhookMaxAttempts must be at least 1.");
        }

        if (WebhookRetryBaseDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(WebhookRetryBaseDelay), WebhookRetryBaseDelay, "StripeEmulatorOptions.WebhookRetryBaseDelay must not be negative.");
        }

        if (StatePath is { } statePath && string.IsNullOrWhiteSpace(statePath))
        {
            throw new ArgumentException("StripeEmulatorOptions.StatePath must be null (in memory only) or a file path.", nameof(StatePath));
        }

        if (ApiKey is { Length: 0 } || WebhookSecret is { Length: 0 })
        {
            throw new ArgumentException("StripeEmulatorOptions.ApiKey and WebhookSecret must be null (generated) or non-empty.");
        }
    }
}
