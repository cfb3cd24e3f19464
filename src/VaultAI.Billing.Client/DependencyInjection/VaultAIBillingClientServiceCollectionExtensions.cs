using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the VaultAI billing client: typed client, token store, daily reporter with its spool, status cache, usage event recorder (<see cref="IUsageRecorderClient"/>) with its spool and sender.</summary>
public static class VaultAIBillingClientServiceCollectionExtensions
{
    /// <summary>Adds the billing client, bound to the <c>VaultAI:BillingClient</c> configuration section.</summary>
    /// <param name="services">The services.</param>
    /// <returns>A builder to plug in the instance's <see cref="IActiveUserCounter"/> and other services.</returns>
    public static IVaultAIBillingClientBuilder AddVaultAIBillingClient(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = AddCore(services);
        services.AddOptions<VaultAIBillingClientOptions>().BindConfiguration(VaultAIBillingClientOptions.SectionName);
        return builder;
    }

    /// <summary>Adds the billing client, bound to the given configuration section.</summary>
    /// <param name="services">The services.</param>
    /// <param name="section">The configuration section holding <see cref="VaultAIBillingClientOptions"/>.</param>
    /// <returns>A builder to plug in the instance's <see cref="IActiveUserCounter"/> and other services.</returns>
    public static IVaultAIBillingClientBuilder AddVaultAIBillingClient(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        var builder = AddCore(services);
        services.AddOptions<VaultAIBillingClientOptions>().Bind(section);
        return builder;
    }

    /// <summary>Adds the billing client, configured by code.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder to plug in the instance's <see cref="IActiveUserCounter"/> and other services.</returns>
    public static IVaultAIBillingClientBuilder AddVaultAIBillingClient(this IServiceCollection services, Action<VaultAIBillingClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = AddCore(services);
        services.Configure(configure);
        return builder;
    }

    /// <summary>Registers the instance's active-user counter (scoped, so it may use a scoped database context).</summary>
    /// <typeparam name="TCounter">The counter type.</typeparam>
    /// <param name="builder">The billing client builder.</param>
    /// <returns>The same builder.</returns>
    public static IVaultAIBillingClientBuilder AddActiveUserCounter<TCounter>(this IVaultAIBillingClientBuilder builder)
        where TCounter : class, IActiveUserCounter
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Scoped<IActiveUserCounter, TCounter>());
        return builder;
    }

    /// <summary>Registers a provider of the organization's identity, replacing the <c>OrganizationId</c>/<c>OrganizationName</c>/<c>InstanceUrl</c> settings.</summary>
    /// <typeparam name="TProvider">The provider type.</typeparam>
    /// <param name="builder">The billing client builder.</param>
    /// <returns>The same builder.</returns>
    public static IVaultAIBillingClientBuilder AddOrganizationInfoProvider<TProvider>(this IVaultAIBillingClientBuilder builder)
        where TProvider : class, IOrganizationInfoProvider
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<IOrganizationInfoProvider, TProvider>());
        return builder;
    }

    /// <summary>Replaces the default <see cref="FileBillingTokenStore"/> with another <see cref="IBillingTokenStore"/>.</summary>
    /// <typeparam name="TStore">The store type.</typeparam>
    /// <param name="builder">The billing client builder.</param>
    /// <returns>The same builder.</returns>
    public static IVaultAIBillingClientBuilder AddTokenStore<TStore>(this IVaultAIBillingClientBuilder builder)
        where TStore : class, IBillingTokenStore
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<IBillingTokenStore, TStore>());
        return builder;
    }

    private static VaultAIBillingClientBuilder AddCore(IServiceCollection services)
    {
        var existing = services.FirstOrDefault(static d => d.ServiceType == typeof(VaultAIBillingClientBuilder))?.ImplementationInstance;
        if (existing is VaultAIBillingClientBuilder already)
        {
            // A second call only adds configuration; handlers and hosted services are not registered twice.
            return already;
        }

        services.AddOptions<VaultAIBillingClientOptions>().ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<VaultAIBillingClientOptions>, VaultAIBillingClientOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<VaultAIBillingClientOptions>, VaultAIBillingClientOptionsDefaults>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BillingClientTuning>();
        services.TryAddSingleton<ReporterActivity>();
        services.TryAddSingleton<BillingClientMetrics>();
        services.TryAddSingleton<OrganizationInfoResolver>();
        services.TryAddSingleton<StatusCache>();
        services.TryAddSingleton<UsageSpool>();
        services.TryAddSingleton<ReportDispatcher>();
        services.TryAddSingleton<IBillingTokenStore>(static sp => new FileBillingTokenStore(
            Path.Combine(sp.GetRequiredService<IOptions<VaultAIBillingClientOptions>>().Value.SpoolDirectory!, FileBillingTokenStore.DefaultFileName)));
        services.TryAddSingleton<IVaultAIBillingClient, BillingClient>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DailyUsageReporter>());
        services.TryAddSingleton<UsageEventSpool>();
        services.TryAddSingleton<UsageEventSender>();
        services.TryAddSingleton<UsageCache>();
        services.TryAddSingleton<IUsageRecorderClient, UsageRecorderClient>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, UsageEventFlusher>());
        services.TryAddTransient<BillingAuthHandler>();

        var http = services.AddHttpClient(BillingClient.HttpClientName, static (sp, client) =>
            {
                var options = sp.GetRequiredService<IOptions<VaultAIBillingClientOptions>>().Value;
                var address = options.BaseAddress!;

                // Relative routes ("api/...") must resolve under a base path such as https://host/billing.
                client.BaseAddress = address.AbsoluteUri.EndsWith('/') ? address : new Uri(address.AbsoluteUri + "/");

                // The resilience handler times each attempt and the whole call (BillingResilience).
                client.Timeout = Timeout.InfiniteTimeSpan;
                client.DefaultRequestHeaders.UserAgent.ParseAdd("VaultAI.Billing.Client/" + typeof(BillingClient).Assembly.GetName().Version?.ToString(3));
            });

        // The one retry layer (Microsoft.Extensions.Http.Resilience) is outermost; the auth handler sits inside
        // it, so every attempt carries the token stored at that moment.
        http.AddResilienceHandler(BillingResilience.PipelineName, BillingResilience.Configure);
        http.AddHttpMessageHandler<BillingAuthHandler>();

        var builder = new VaultAIBillingClientBuilder(services, http);
        services.AddSingleton(builder);
        return builder;
    }

    private sealed class VaultAIBillingClientBuilder(IServiceCollection services, IHttpClientBuilder httpClient) : IVaultAIBillingClientBuilder
    {
        public IServiceCollection Services { get; } = services;

        public IHttpClientBuilder HttpClient { get; } = httpClient;
    }
}
