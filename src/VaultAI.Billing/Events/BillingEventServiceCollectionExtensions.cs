using Microsoft.Extensions.DependencyInjection.Extensions;
using VaultAI.Billing.Events;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a host's reactions to billing events.</summary>
public static class BillingEventServiceCollectionExtensions
{
    /// <summary>
    /// Registers a handler (scoped: one instance per delivery batch). Every event recorded from now on is delivered to it at
    /// least once, identified by its type's full name, so renaming the type orphans the deliveries queued for the old name.
    /// </summary>
    /// <typeparam name="THandler">The handler.</typeparam>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddBillingEventHandler<THandler>(this IServiceCollection services)
        where THandler : class, IBillingEventHandler
    {
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IBillingEventHandler, THandler>());
        return services;
    }
}
