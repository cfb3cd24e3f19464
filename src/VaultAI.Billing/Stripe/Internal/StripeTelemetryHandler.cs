using Microsoft.Extensions.Logging;

namespace VaultAI.Billing.Stripe.Internal;

/// <summary>
/// Logs and counts every attempt of a Stripe call (it sits inside the retry handler), with Stripe's <c>Request-Id</c>.
/// Stripe.net has no logging hook of its own; its requests pass through this <see cref="DelegatingHandler"/>.
/// </summary>
internal sealed class StripeTelemetryHandler(StripeMetrics metrics, TimeProvider timeProvider, ILogger<StripeTelemetryHandler> logger) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var operation = Operation(request.RequestUri);
        var started = timeProvider.GetTimestamp();
        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var elapsed = timeProvider.GetElapsedTime(started);
            var requestId = response.Headers.TryGetValues("Request-Id", out var ids) ? ids.FirstOrDefault() : null;
            if (response.IsSuccessStatusCode)
            {
                StripeLog.RequestSucceeded(logger, request.Method.Method, operation, (int)response.StatusCode, (long)elapsed.TotalMilliseconds, requestId);
                metrics.Record(operation, "success", elapsed);
            }
            else
            {
                var advice = response.Headers.TryGetValues("Stripe-Should-Retry", out var values) ? values.FirstOrDefault() : null;
                StripeLog.RequestFailed(logger, request.Method.Method, operation, (int)response.StatusCode, (long)elapsed.TotalMilliseconds, requestId, advice);
                metrics.Record(operation, "error", elapsed);
            }

            return response;
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException)
        {
            var elapsed = timeProvider.GetElapsedTime(started);
            StripeLog.ConnectionFailed(logger, request.Method.Method, operation, exception.GetType().Name, (long)elapsed.TotalMilliseconds);
            metrics.Record(operation, "error", elapsed);
            throw;
        }
    }

    /// <summary>The path without ids (<c>/v1/subscriptions/{id}</c>), so the metric's tag stays low-cardinality.</summary>
    internal static string Operation(Uri? uri)
    {
        if (uri is null)
        {
            return "unknown";
        }

        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => s.Contains('_', StringComparison.Ordinal) && s.Any(char.IsDigit) ? "{id}" : s);
        return "/" + string.Join('/', segments);
    }
}
