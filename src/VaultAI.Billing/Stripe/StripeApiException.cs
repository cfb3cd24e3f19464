using System.Net;

namespace VaultAI.Billing.Stripe;

/// <summary>
/// Stripe answered a call with an error, or with a body that is not the expected JSON object
/// ("invalid response object"; then <see cref="ErrorType"/> is <see langword="null"/>).
/// The message never contains the API key.
/// </summary>
public sealed class StripeApiException : Exception
{
    /// <summary>Initializes a new instance with a message only.</summary>
    /// <param name="message">The message.</param>
    public StripeApiException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and the exception that caused it.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public StripeApiException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets the HTTP status of Stripe's answer.</summary>
    public HttpStatusCode StatusCode { get; init; }

    /// <summary>Gets Stripe's error type, e.g. <c>invalid_request_error</c>, <c>card_error</c>,
    /// <c>idempotency_error</c>, <c>api_error</c> or <c>temporary_session_expired</c> (v2 meter event stream).</summary>
    public string? ErrorType { get; init; }

    /// <summary>Gets Stripe's error code, e.g. <c>resource_missing</c>.</summary>
    public string? Code { get; init; }

    /// <summary>Gets the parameter at fault, when Stripe names one.</summary>
    public string? Param { get; init; }

    /// <summary>Gets the card decline code of a <c>card_error</c>.</summary>
    public string? DeclineCode { get; init; }

    /// <summary>Gets Stripe's human-readable message.</summary>
    public string? StripeMessage { get; init; }

    /// <summary>Gets the link to Stripe's documentation of the error.</summary>
    public string? DocUrl { get; init; }

    /// <summary>Gets the value of the <c>Request-Id</c> response header.</summary>
    public string? RequestId { get; init; }

    /// <summary>Gets the raw response body (Stripe never echoes the API key).</summary>
    public string? RawBody { get; init; }

    /// <summary>
    /// Gets a value indicating whether repeating the same call cannot succeed: a 4xx other than 409 and 429,
    /// or a 2xx with an invalid body. Session expiry (<c>temporary_session_expired</c>) is not permanent.
    /// </summary>
    public bool IsPermanent
    {
        get
        {
            if (ErrorType == "temporary_session_expired")
            {
                return false;
            }

            var status = (int)StatusCode;
            return status is >= 200 and < 300 || (status is >= 400 and < 500 && status != 409 && status != 429);
        }
    }
}
