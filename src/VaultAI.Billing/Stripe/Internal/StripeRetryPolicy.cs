using System.Net;
using Polly;
using Polly.Timeout;

namespace VaultAI.Billing.Stripe.Internal;

/// <summary>
/// When the resilience handler retries a Stripe call, and how long it waits. This is the client's only retry layer:
/// Stripe.net is built with <c>maxNetworkRetries: 0</c>. We retry here rather than in Stripe.net because this layer honours
/// <c>Retry-After</c>, applies a per-attempt timeout, and waits on the injected <see cref="TimeProvider"/> (so tests on a
/// fake clock control it), where Stripe.net sleeps on the wall clock. A retry resends the same request message, so the same
/// <c>Idempotency-Key</c>.
/// </summary>
internal static class StripeRetryPolicy
{
    /// <summary>
    /// Stripe's SDK rules: connection errors and attempt timeouts, 409, and 5xx are retried; <c>Stripe-Should-Retry</c> overrides
    /// the status either way. 429 is not retried, like the official SDKs: a rate limit means "slow down", and every caller
    /// already has a slower retry (the outbox's backoff, the webhook retry pass, the administrator) that spreads the load,
    /// where retrying within the call would only add requests to a limited account.
    /// </summary>
    public static bool ShouldRetry(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException or TimeoutRejectedException } => true,
        { Result: { } response } => ShouldRetry(response),
        _ => false,
    };

    /// <summary>Stripe's rules for an answer (see <see cref="ShouldRetry(Outcome{HttpResponseMessage})"/>).</summary>
    public static bool ShouldRetry(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("Stripe-Should-Retry", out var values))
        {
            var advice = values.FirstOrDefault();
            if (string.Equals(advice, "true", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (string.Equals(advice, "false", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return response.StatusCode == HttpStatusCode.Conflict || (int)response.StatusCode >= 500;
    }

    /// <summary>The wait <c>Retry-After</c> asks for, capped to <paramref name="max"/>; <see langword="null"/> for the backoff.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeSpan max, DateTimeOffset now)
    {
        var delay = response?.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now,
            _ => (TimeSpan?)null,
        };
        return delay is { } d ? TimeSpan.FromTicks(Math.Clamp(d.Ticks, 0, max.Ticks)) : null;
    }
}
