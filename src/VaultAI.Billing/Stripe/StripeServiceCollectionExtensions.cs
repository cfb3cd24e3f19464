using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Stripe;
using VaultAI.Billing.Stripe.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers VaultAI's typed Stripe client.</summary>
public static class StripeServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IStripeClient"/> as a typed <see cref="HttpClient"/>, with <see cref="StripeClientOptions"/>
    /// validated when the host starts and <see cref="TimeProvider.System"/> unless a <see cref="TimeProvider"/> is
    /// already registered. Calling it again only adds <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Configures the options (bind <see cref="StripeClientOptions.SectionName"/> yourself to read configuration).</param>
    /// <returns>The builder of the client's HttpClient. The client retries by itself: add no retry handler to it.</returns>
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

        if (services.Any(d => d.ServiceType == typeof(IStripeClient)))
        {
            return services.AddHttpClient(StripeClient.HttpClientName);
        }

        // The client applies its own per-attempt timeout through TimeProvider.
        return services
            .AddHttpClient<IStripeClient, StripeClient>(StripeClient.HttpClientName)
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan);
    }
}
