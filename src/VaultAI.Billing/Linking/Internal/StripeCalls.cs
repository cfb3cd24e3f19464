using VaultAI.Billing.Stripe;

namespace VaultAI.Billing.Linking.Internal;

/// <summary>Turns Stripe and network failures into one 502 problem that carries Stripe's request id.</summary>
internal static class StripeCalls
{
    public static async Task<T> GuardAsync<T>(string what, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (StripeApiException exception)
        {
            throw new BillingException(502, "stripe_error", $"Stripe refused to {what}: {exception.StripeMessage ?? exception.Message}", innerException: exception)
            {
                StripeRequestId = exception.RequestId,
            };
        }
        catch (Exception exception) when (exception is HttpRequestException or TimeoutException || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new BillingException(502, "stripe_unreachable", $"Stripe could not be reached to {what}; nothing was changed, try again.", innerException: exception);
        }
    }
}
