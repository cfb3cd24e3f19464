using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace VaultAI.Billing.Client;

/// <summary>
/// The one retry layer of the billing HTTP client: retry (exponential backoff with jitter, honouring
/// <c>Retry-After</c>) around a circuit breaker around a per-attempt timeout. A singleton, so the breaker's
/// state survives the rotation of message handlers. Retrying POSTs is safe because each carries its idempotency key.
/// </summary>
internal sealed class BillingResiliencePipeline
{
    public BillingResiliencePipeline(
        IOptions<VaultAIBillingClientOptions> options,
        BillingClientTuning tuning,
        TimeProvider timeProvider,
        ILogger<BillingResiliencePipeline> logger)
    {
        var settings = options.Value;
        var clock = tuning.ResilienceTimeProvider ?? timeProvider;
        var shouldHandle = new PredicateBuilder<HttpResponseMessage>()
            .Handle<HttpRequestException>()
            .Handle<TimeoutRejectedException>()
            .HandleResult(static response => IsTransient(response.StatusCode));

        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = clock };
        if (settings.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = shouldHandle,
                MaxRetryAttempts = settings.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = tuning.RetryBaseDelay,
                MaxDelay = tuning.RetryMaxDelay,
                DelayGenerator = args => new ValueTask<TimeSpan?>(
                    RetryAfter.GetDelay(args.Outcome.Result, clock.GetUtcNow(), tuning.RetryMaxDelay)),
                OnRetry = args =>
                {
                    var request = args.Context.Properties.GetValue(RequestKey, null!);
                    var outcome = args.Outcome.Exception?.GetType().Name
                        ?? ("HTTP " + ((int)args.Outcome.Result!.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    Log.RetryingRequest(logger, request?.Method.Method ?? "?", request?.RequestUri?.AbsolutePath, outcome, args.AttemptNumber + 1, args.RetryDelay);
                    return default;
                },
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
        {
            ShouldHandle = shouldHandle,
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

        builder.AddTimeout(settings.RequestTimeout);
        Pipeline = builder.Build();
    }

    public static ResiliencePropertyKey<HttpRequestMessage> RequestKey { get; } = new("vaultai.billing.request");

    public ResiliencePipeline<HttpResponseMessage> Pipeline { get; }

    public static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;
}
