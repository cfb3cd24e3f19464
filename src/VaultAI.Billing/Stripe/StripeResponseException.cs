namespace VaultAI.Billing.Stripe;

/// <summary>
/// A Stripe payload handed to the library (a webhook body, an event's data object) is not the JSON object expected.
/// Errors of HTTP calls are reported as <see cref="StripeApiException"/> instead.
/// </summary>
public sealed class StripeResponseException : Exception
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">The message.</param>
    public StripeResponseException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with the exception that caused it.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public StripeResponseException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
