namespace VaultAI.Billing.Testing;

/// <summary>What kind of failure a <see cref="StripeFault"/> injects.</summary>
public enum StripeFaultKind
{
    /// <summary>Answer with an HTTP error status and a Stripe error body.</summary>
    Status,

    /// <summary>Wait (real time), then handle the request normally.</summary>
    Delay,

    /// <summary>Abort the connection without an answer.</summary>
    DropConnection,
}

/// <summary>A failure the emulator injects into matching requests before they have any effect.</summary>
public sealed record StripeFault
{
    private StripeFault(StripeFaultKind kind)
    {
        Kind = kind;
    }

    /// <summary>Gets the kind of failure.</summary>
    public StripeFaultKind Kind { get; }

    /// <summary>Gets the HTTP status for <see cref="StripeFaultKind.Status"/>.</summary>
    public int StatusCode { get; private init; }

    /// <summary>Gets the <c>Stripe-Should-Retry</c> header value, or <see langword="null"/> to omit it.</summary>
    public bool? ShouldRetry { get; private init; }

    /// <summary>Gets the <c>Retry-After</c> header value in seconds, or <see langword="null"/> to omit it.</summary>
    public int? RetryAfterSeconds { get; private init; }

    /// <summary>Gets the error <c>type</c> in the body, or <see langword="null"/> for the type Stripe uses for the status.</summary>
    public string? ErrorType { get; private init; }

    /// <summary>Gets the delay for <see cref="StripeFaultKind.Delay"/>.</summary>
    public TimeSpan DelayDuration { get; private init; }

    /// <summary>Answers with an HTTP error, e.g. 500, 503, 409 or 429.</summary>
    /// <param name="status">The HTTP status code (400..599).</param>
    /// <param name="shouldRetry">The <c>Stripe-Should-Retry</c> header, or <see langword="null"/> for none.</param>
    /// <param name="retryAfterSeconds">The <c>Retry-After</c> header, or <see langword="null"/> for none.</param>
    /// <param name="errorType">The error type in the body; by default <c>api_error</c> for 5xx, else <c>invalid_request_error</c>.</param>
    /// <returns>The fault.</returns>
    public static StripeFault Status(int status, bool? shouldRetry = null, int? retryAfterSeconds = null, string? errorType = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(status, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(status, 599);
        return new StripeFault(StripeFaultKind.Status)
        {
            StatusCode = status,
            ShouldRetry = shouldRetry,
            RetryAfterSeconds = retryAfterSeconds,
            ErrorType = errorType,
        };
    }

    /// <summary>Delays the request (real time), then handles it normally.</summary>
    /// <param name="delay">How long to wait.</param>
    /// <returns>The fault.</returns>
    public static StripeFault Delay(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        return new StripeFault(StripeFaultKind.Delay) { DelayDuration = delay };
    }

    /// <summary>Aborts the connection without answering.</summary>
    /// <returns>The fault.</returns>
    public static StripeFault DropConnection() => new(StripeFaultKind.DropConnection);
}
