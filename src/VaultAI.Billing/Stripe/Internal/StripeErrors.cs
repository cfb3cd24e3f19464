using Polly.Timeout;
using Stripe;

namespace VaultAI.Billing.Stripe.Internal;

/// <summary>Reads what our callers need from Stripe.net's <see cref="StripeException"/> and from transport failures.</summary>
internal static class StripeErrors
{
    /// <summary>Stripe's <c>Request-Id</c> of the failed call, when Stripe answered.</summary>
    public static string? RequestId(this StripeException exception) => exception.StripeResponse?.RequestId;

    /// <summary>Stripe could not be reached (connection error, attempt timeout), not cancelled by the caller.</summary>
    public static bool IsUnreachable(Exception exception, CancellationToken cancellationToken) =>
        exception is HttpRequestException or TimeoutRejectedException or TimeoutException
        || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>The v2 meter event session has expired: open a new one and send again.</summary>
    public static bool IsSessionExpired(StripeException exception) =>
        exception is global::Stripe.V2.TemporarySessionExpiredException || exception.StripeError?.Type == "temporary_session_expired";

    /// <summary>
    /// Repeating the same call cannot succeed: a 4xx other than 408, 409 and 429, or an answer Stripe.net could not read
    /// (status 0 or 2xx). An expired v2 session is not permanent.
    /// </summary>
    public static bool IsPermanent(StripeException exception)
    {
        if (IsSessionExpired(exception))
        {
            return false;
        }

        var status = (int)exception.HttpStatusCode;
        return status is >= 200 and < 300 || (status is >= 400 and < 500 && status is not (408 or 409 or 429));
    }

    /// <summary>A one-line description without the API key (Stripe never echoes it).</summary>
    public static string Describe(Exception exception) => exception switch
    {
        StripeException stripe => $"Stripe {(int)stripe.HttpStatusCode} {stripe.StripeError?.Type}{(stripe.StripeError?.Code is { } code ? "/" + code : "")}: "
            + $"{stripe.StripeError?.Message ?? stripe.Message} (request {stripe.RequestId() ?? "none"})",
        _ => exception.GetType().Name + ": " + exception.Message,
    };

    /// <summary>
    /// Turns a failed Stripe call into the problem our endpoints answer: 402 <c>stripe_card_error</c> when a card was
    /// declined, 502 <c>stripe_error</c> for any other refusal (both with Stripe's message, code and request id), or
    /// 502 <c>stripe_unreachable</c>.
    /// </summary>
    public static async Task<T> GuardAsync<T>(string what, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (StripeException exception) when (exception.StripeError?.Type == "card_error")
        {
            // Stripe did its job: the customer's card was refused. That is a payment problem, not a gateway failure.
            throw new BillingException(402, "stripe_card_error", $"Stripe declined the card while trying to {what}: {exception.StripeError.Message ?? exception.Message}", innerException: exception)
            {
                StripeRequestId = exception.RequestId(),
                StripeErrorCode = exception.StripeError.Code,
                DeclineCode = exception.StripeError.DeclineCode,
            };
        }
        catch (StripeException exception)
        {
            throw new BillingException(502, "stripe_error", $"Stripe refused to {what}: {exception.StripeError?.Message ?? exception.Message}", innerException: exception)
            {
                StripeRequestId = exception.RequestId(),
                StripeErrorCode = exception.StripeError?.Code,
            };
        }
        catch (Exception exception) when (IsUnreachable(exception, cancellationToken))
        {
            throw new BillingException(502, "stripe_unreachable", $"Stripe could not be reached to {what}; nothing was changed, try again.", innerException: exception);
        }
    }
}
