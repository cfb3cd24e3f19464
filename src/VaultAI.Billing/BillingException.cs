namespace VaultAI.Billing;

/// <summary>
/// A billing operation that could not be done, with the HTTP status, the stable error code and the field at
/// fault. The endpoints turn it into RFC 9457 problem details.
/// </summary>
public sealed class BillingException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="statusCode">The HTTP status that describes the failure.</param>
    /// <param name="code">A stable, machine-readable code, for example <c>already_linked</c>.</param>
    /// <param name="message">A sentence for people.</param>
    /// <param name="field">The request field at fault, if one is.</param>
    /// <param name="innerException">The cause, if any.</param>
    public BillingException(int statusCode, string code, string message, string? field = null, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Code = code;
        Field = field;
    }

    /// <summary>The HTTP status.</summary>
    public int StatusCode { get; }

    /// <summary>The stable error code.</summary>
    public string Code { get; }

    /// <summary>The request field at fault.</summary>
    public string? Field { get; }

    /// <summary>Stripe's request id, when Stripe caused the failure.</summary>
    public string? StripeRequestId { get; init; }

    /// <summary>Stripe's own error code (for example <c>card_declined</c>), when Stripe refused the call.</summary>
    public string? StripeErrorCode { get; init; }

    /// <summary>The card issuer's reason (for example <c>insufficient_funds</c>), when a card was declined.</summary>
    public string? DeclineCode { get; init; }

    /// <summary>When the caller may try again (sent as <c>Retry-After</c>), for a 429 or 503.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Creates a 400 naming <paramref name="field"/>.</summary>
    internal static BillingException Invalid(string field, string message, string code = "invalid_field") =>
        new(400, code, message, field);
}
