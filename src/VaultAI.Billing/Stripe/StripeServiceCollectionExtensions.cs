using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Stripe;
using VaultAI.Billing.Stripe.Internal;
using StripeClientOptions = VaultAI.Billing.Stripe.StripeClientOptions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Stripe.net client VaultAI.Billing uses, configured from <see cref="StripeClientOptions"/>.</summary>
public static class StripeServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> Stripe.net sends through.</summary>
    public const string HttpClientName = "VaultAI.Billing.Stripe";

    /// <summary>
    /// Registers Stripe.net's <see cref="IStripeClient"/> and <see cref="StripeClient"/> (one configured client a host may use
    /// for its own calls too) over a named <see cref="HttpClient"/> with a Stripe-aware resilience handler: retries of
    /// connection errors, attempt timeouts, 409 and 5xx as <c>Stripe-Should-Retry</c> allows, honouring <c>Retry-After</c>,
    /// on the registered <see cref="TimeProvider"/>. <see cref="StripeClientOptions"/> are validated when the host starts.
    /// Calling it again only adds <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Configures the options (bind <see cref="StripeClientOptions.SectionName"/> yourself to read configuration).</param>
    /// <returns>The builder of the client's HttpClient. It already retries: add no retry handler to it.</returns>
    public static IHttpClientBuilder AddVaultAIStripeClient(this IServiceCollection services, Action<StripeClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var optionsBuilder = services.AddOptions<StripeClientOptions>();
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        optionsBuilder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StripeClientOptions>, StripeClientOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new StripeMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddTransient<StripeTelemetryHandler>();
        services.TryAddSingleton(sp => CreateClient(sp));
        services.TryAddSingleton<IStripeClient>(sp => sp.GetRequiredService<StripeClient>());

        if (services.Any(d => d.ServiceType == typeof(StripeHttpClientMarker)))
        {
            return services.AddHttpClient(HttpClientName);
        }

        services.AddSingleton<StripeHttpClientMarker>();
        var builder = services.AddHttpClient(HttpClientName)
            // The per-attempt timeout is the pipeline's; the client is held for the host's lifetime, so pooled
            // connections are recycled to follow DNS changes.
            .ConfigureHttpClient(client => client.Timeout = System.Threading.Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        builder.AddResilienceHandler("stripe", (pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptionsMonitor<StripeClientOptions>>().CurrentValue;
            var time = context.ServiceProvider.GetRequiredService<TimeProvider>();
            var logger = context.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StripeRetryPolicy));
            if (options.MaxRetries > 0)
            {
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = options.MaxRetries,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = options.InitialRetryDelay,
                    MaxDelay = options.MaxRetryDelay,
                    ShouldHandle = args => ValueTask.FromResult(StripeRetryPolicy.ShouldRetry(args.Outcome)),
                    ShouldRetryAfterHeader = false,
                    DelayGenerator = args => ValueTask.FromResult(StripeRetryPolicy.RetryAfter(args.Outcome.Result, options.MaxRetryAfter, time.GetUtcNow())),
                    OnRetry = args =>
                    {
                        var outcome = args.Outcome.Exception?.GetType().Name ?? ((int?)args.Outcome.Result?.StatusCode)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown";
                        StripeLog.Retrying(logger, outcome, args.AttemptNumber + 1, (long)args.RetryDelay.TotalMilliseconds);
                        return ValueTask.CompletedTask;
                    },
                });
            }

            // Inside the retry: each attempt gets its own timeout, and a timed-out attempt is retried.
            pipeline.AddTimeout(options.Timeout);
        });
        builder.AddHttpMessageHandler<StripeTelemetryHandler>();
        return builder;
    }

    private static StripeClient CreateClient(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<StripeClientOptions>>().Value;
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
        return new StripeClient(new global::Stripe.StripeClientOptions
        {
            ApiKey = options.ApiKey,
            ApiBase = options.ApiBase.AbsoluteUri.TrimEnd('/'),
            MeterEventsBase = options.MeterEventsBase.AbsoluteUri.TrimEnd('/'),
            // Retries are the resilience handler's (see StripeRetryPolicy): exactly one retry layer.
            HttpClient = new SystemNetHttpClient(http, maxNetworkRetries: 0, appInfo: new AppInfo { Name = "VaultAI.Billing" }, enableTelemetry: false),
        });
    }

    /// <summary>Marks that the named client and its handlers are registered, so a second call adds none.</summary>
    private sealed class StripeHttpClientMarker;
}
