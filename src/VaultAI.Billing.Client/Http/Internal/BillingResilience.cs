using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace VaultAI.Billing.Client;

/// <summary>
/// The one retry layer of the billing HTTP client, built by Microsoft.Extensions.Http.Resilience
/// (<c>AddResilienceHandler</c>): a total timeout around a retry (exponential backoff with jitter, honouring
/// <c>Retry-After</c>) around a circuit breaker around a per-attempt timeout. What counts as transient
/// (connection errors, timeouts, 408, 429, 5xx) is the library's default. The pipeline is built once per
/// service provider, so the breaker's state survives the rotation of message handlers. Retrying POSTs is
/// safe because each carries its idempotency key.
/// </summary>
internal static class BillingResilience
{
    /// <summary>The pipeline's name under the HTTP client's name (<c>VaultAI.Billing.Client-billing</c> in telemetry).</summary>
    public const string PipelineName = "billing";

    /// <summary>Builds the pipeline from <see cref="VaultAIBillingClientOptions"/> and <see cref="BillingClientTuning"/>.</summary>
    /// <param name="builder">The pipeline builder of the resilience handler.</param>
    /// <param name="context">Gives the service provider.</param>
    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> builder, ResilienceHandlerContext context)
    {
        var services = context.ServiceProvider;
        var settings = services.GetRequiredService<IOptions<VaultAIBillingClientOptions>>().Value;
        var tuning = services.GetRequiredService<BillingClientTuning>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(BillingResilience).FullName!);
        var clock = tuning.ResilienceTimeProvider ?? services.GetRequiredService<TimeProvider>();
        builder.TimeProvider = clock;

        // Bounds the whole call, retries and their delays included. It is the worst case the other strategies
        // already allow (every attempt timing out, every delay at its cap), so it never cuts a call short of
        // that; it is there so that no future change to them can make a call hang longer.
        builder.AddTimeout(new HttpTimeoutStrategyOptions
        {
            Name = "TotalRequestTimeout",
            Timeout = TotalTimeout(settings, tuning),
        });

        if (settings.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = settings.MaxRetryAttempts,
                Delay = tuning.RetryBaseDelay,
                MaxDelay = tuning.RetryMaxDelay,

                // The library's own Retry-After reader (ShouldRetryAfterHeader) reads an HTTP date against
                // TimeProvider.System, applies to every status and is not capped by MaxDelay; ours uses the
                // pipeline's clock, applies to 429 and 503 only and caps the wait at RetryMaxDelay.
                ShouldRetryAfterHeader = false,
                DelayGenerator = args => new ValueTask<TimeSpan?>(
                    RetryAfterDelay(args.Outcome.Result, clock.GetUtcNow(), tuning.RetryMaxDelay)),
                OnRetry = args =>
                {
                    var request = args.Context.GetRequestMessage();
                    var outcome = args.Outcome.Exception?.GetType().Name
                        ?? ("HTTP " + ((int)args.Outcome.Result!.StatusCode).ToString(CultureInfo.InvariantCulture));
                    Log.RetryingRequest(logger, request?.Method.Method ?? "?", request?.RequestUri?.AbsolutePath, outcome, args.AttemptNumber + 1, args.RetryDelay);
                    return default;
                },
            });
        }

        builder.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = tuning.BreakerFailureRatio,
            MinimumThroughput = tuning.BreakerMinimumThroughput,
            SamplingDuration = tuning.BreakerSamplingDuration,
            BreakDuration = tuning.BreakerBreakDuration,
            OnOpened = args =>
            {
                Log.CircuitOpened(logger, args.BreakDuration);
                return default;
            },
            OnClosed = _ =>
            {
                Log.CircuitClosed(logger);
                return default;
            },
        });

        builder.AddTimeout(new HttpTimeoutStrategyOptions
        {
            Name = "AttemptTimeout",
            Timeout = settings.RequestTimeout,
        });
    }

    /// <summary>The delay a <c>Retry-After</c> header of a 429 or 503 asks for (delta seconds or an HTTP date), capped.</summary>
    /// <param name="response">The response, if any.</param>
    /// <param name="now">The current time of the pipeline's clock.</param>
    /// <param name="cap">The longest delay honoured.</param>
    /// <returns>The delay, or <see langword="null"/> to leave it to the backoff.</returns>
    public static TimeSpan? RetryAfterDelay(HttpResponseMessage? response, DateTimeOffset now, TimeSpan cap)
    {
        if (response is null
            || response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
            || response.Headers.RetryAfter is not { } header)
        {
            return null;
        }

        TimeSpan? delay = header.Delta ?? (header.Date is { } date ? date - now : null);
        if (delay is not { } value)
        {
            return null;
        }

        return value < TimeSpan.Zero ? TimeSpan.Zero : value > cap ? cap : value;
    }

    /// <summary>Every attempt at its timeout plus every delay at its cap, with one delay to spare.</summary>
    private static TimeSpan TotalTimeout(VaultAIBillingClientOptions settings, BillingClientTuning tuning) =>
        (settings.RequestTimeout + tuning.RetryMaxDelay) * (settings.MaxRetryAttempts + 1);
}
