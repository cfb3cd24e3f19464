namespace VaultAI.Billing.Client;

/// <summary>
/// Knobs that are deliberately not public settings: backoff bases, circuit breaker thresholds and the
/// random source for the report jitter. Defaults suit production; tests shrink them to milliseconds.
/// </summary>
internal sealed class BillingClientTuning
{
    /// <summary>First delay of the HTTP retry backoff (exponential, with jitter).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Cap of one HTTP retry delay, including one asked for by <c>Retry-After</c>.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(2);

    public double BreakerFailureRatio { get; set; } = 0.5;

    public int BreakerMinimumThroughput { get; set; } = 10;

    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>First delay before the reporter tries the spool again after a failure.</summary>
    public TimeSpan SpoolRetryMinDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Cap of the reporter's retry delay; also the pause while the token is lost or refused.</summary>
    public TimeSpan SpoolRetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The clock of the resilience pipeline (timeouts, retry delays, breaker); <see langword="null"/> means the DI <see cref="TimeProvider"/>.</summary>
    public TimeProvider? ResilienceTimeProvider { get; set; }

    /// <summary>The random source of the report jitter and of the spool retry jitter.</summary>
    public Random Random { get; set; } = Random.Shared;
}
