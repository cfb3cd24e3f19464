using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using VaultAI.Billing.Entitlements;
using VaultAI.Billing.Entitlements.Internal;

namespace VaultAI.Billing.Events.Internal;

/// <summary>Registers the entitlement service, the billing event log and its delivery (called by <c>AddVaultAIBilling</c>).</summary>
internal static class EntitlementAndEventServices
{
    public static void Add(IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.TryAddSingleton<BillingEventSignal>();
        services.TryAddSingleton<BillingEventLog>();
        services.TryAddSingleton<IBillingEventLog>(sp => sp.GetRequiredService<BillingEventLog>());
        services.TryAddSingleton<BillingEventDispatcher>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, BillingEventDeliveryService>());
        services.TryAddSingleton<EntitlementService>();
        services.TryAddSingleton<IEntitlementService>(sp => sp.GetRequiredService<EntitlementService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SuspensionMonitor>());
    }
}
