using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaultAI.Billing;
using VaultAI.Billing.Credentials.Internal;
using VaultAI.Billing.DependencyInjection.Internal;
using VaultAI.Billing.Diagnostics;
using VaultAI.Billing.Linking.Internal;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Metering.Internal;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Organizations.Internal;
using VaultAI.Billing.Storage;
using VaultAI.Billing.Stripe;
using VaultAI.Billing.Subscriptions;
using VaultAI.Billing.Subscriptions.Internal;
using VaultAI.Billing.Webhooks.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the VaultAI.Billing server.</summary>
public static class VaultAIBillingServiceCollectionExtensions
{
    /// <summary>Adds the billing service with options from code.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>A builder to add a store (<c>AddEntityFrameworkStore</c>).</returns>
    public static IVaultAIBillingBuilder AddVaultAIBilling(this IServiceCollection services, Action<VaultAIBillingOptions>? configure = null)
    {
        var builder = AddCore(services);
        if (configure is not null)
        {
            services.Configure(configure);
        }

        return builder;
    }

    /// <summary>Adds the billing service with options bound from a configuration section (usually <c>VaultAI:Billing</c>).</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The section to bind.</param>
    /// <returns>A builder to add a store.</returns>
    public static IVaultAIBillingBuilder AddVaultAIBilling(this IServiceCollection services, IConfiguration configuration)
    {
        var builder = AddCore(services);
        services.Configure<VaultAIBillingOptions>(configuration);
        return builder;
    }

    private static VaultAIBillingBuilder AddCore(IServiceCollection services)
    {
        services.AddOptions<VaultAIBillingOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<VaultAIBillingOptions>, VaultAIBillingOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddLogging();
        services.AddProblemDetails();

        // The Stripe client takes its options from VaultAI:Billing:Stripe.
        services.AddVaultAIStripeClient();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<StripeClientOptions>, StripeOptionsFromBilling>());

        services.TryAddSingleton<BillingDiagnostics>();
        services.TryAddSingleton(provider => new OutboxAges(provider.GetService<IBillingStore>() as IOutboxAgeReads, provider.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<OutboxPlanner>();
        services.TryAddSingleton<CredentialCache>();
        services.TryAddSingleton<CredentialUseLog>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CredentialUseLog>(sp => sp.GetRequiredService<CredentialUseLog>()));
        services.TryAddScoped<InstanceAuthenticator>();
        services.TryAddScoped<UsageIngestion>();
        services.TryAddSingleton<UsageRecorder>();
        services.TryAddSingleton<VaultAI.Billing.Endpoints.Internal.UsageBatchGate>();
        services.TryAddSingleton<IUsageRecorder>(sp => sp.GetRequiredService<UsageRecorder>());
        services.TryAddScoped<LinkingService>();
        services.TryAddScoped<CheckoutService>();
        services.TryAddScoped<RegistrationService>();
        services.TryAddScoped(sp => new BillingAdministration(
            sp.GetRequiredService<IBillingStore>(),
            sp.GetRequiredService<global::Stripe.StripeClient>(),
            sp.GetRequiredService<LinkingService>(),
            sp.GetRequiredService<WebhookReplayer>(),
            sp.GetRequiredService<CheckoutService>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<BillingAdministration>>(),
            sp.GetRequiredService<CredentialCache>(),
            sp.GetRequiredService<VaultAI.Billing.Events.IBillingEventLog>(),
            sp.GetRequiredService<Microsoft.AspNetCore.Http.IHttpContextAccessor>()));
        services.TryAddScoped(sp => new SubscriptionLifecycle(
            sp.GetRequiredService<IBillingStore>(),
            sp.GetRequiredService<global::Stripe.StripeClient>(),
            sp.GetRequiredService<IOptionsMonitor<VaultAIBillingOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<SubscriptionLifecycle>>(),
            sp.GetRequiredService<VaultAI.Billing.Events.IBillingEventLog>()));
        services.TryAddScoped<VaultAI.Billing.SelfService.IBillingSelfService, VaultAI.Billing.SelfService.Internal.BillingSelfService>();
        services.TryAddScoped<WebhookProcessor>();
        services.TryAddScoped<WebhookReplayer>();
        services.TryAddSingleton<IMeterEventDispatcher, MeterEventDispatcher>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, WebhookRetryService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MeterEventDispatcherService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SubscriptionReconciliationService>());
        services.TryAddSingleton(sp => new VaultAI.Billing.Plans.RevenueHistory(
            sp.GetRequiredService<IBillingStore>(),
            sp.GetRequiredService<VaultAI.Billing.Plans.IRevenueHistoryStore>(),
            sp.GetRequiredService<IOptionsMonitor<VaultAIBillingOptions>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, VaultAI.Billing.Plans.Internal.RevenueSnapshotService>());
        VaultAI.Billing.Events.Internal.EntitlementAndEventServices.Add(services);
        return new VaultAIBillingBuilder(services);
    }

    private sealed class StripeOptionsFromBilling(IOptions<VaultAIBillingOptions> billing) : IConfigureOptions<StripeClientOptions>
    {
        public void Configure(StripeClientOptions options)
        {
            var source = billing.Value.Stripe;
            options.ApiKey ??= source.ApiKey;
            options.ApiBase = source.ApiBase;
            options.MeterEventsBase = source.MeterEventsBase;
            options.MaxRetries = source.MaxRetries;
            options.InitialRetryDelay = source.InitialRetryDelay;
            options.MaxRetryDelay = source.MaxRetryDelay;
            options.Timeout = source.Timeout;
            options.MaxRetryAfter = source.MaxRetryAfter;
        }
    }
}
