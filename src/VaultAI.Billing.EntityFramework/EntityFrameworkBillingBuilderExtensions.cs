using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using VaultAI.Billing.EntityFramework;
using VaultAI.Billing.EntityFramework.Internal;
using VaultAI.Billing.Metering.Internal;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing;

/// <summary>Plugs the EF Core store into <c>AddVaultAIBilling()</c>.</summary>
public static class EntityFrameworkBillingBuilderExtensions
{
    /// <summary>
    /// Stores billing data with EF Core: <c>options.UseNpgsql(connectionString)</c> in production, or
    /// <c>options.UseSqlite(...)</c> for a single-process demo. The host decides when to migrate
    /// (<see cref="BillingDatabase.MigrateAsync"/>).
    /// </summary>
    /// <param name="builder">The billing builder.</param>
    /// <param name="configure">Chooses the provider and connection.</param>
    /// <returns>The same builder.</returns>
    public static IVaultAIBillingBuilder AddEntityFrameworkStore(this IVaultAIBillingBuilder builder, Action<DbContextOptionsBuilder> configure)
    {
        // Pooled: a report takes a context per request, and a fresh one costs more CPU than the report's own statement.
        builder.Services.AddPooledDbContextFactory<BillingDbContext>(options =>
        {
            configure(options);
            options.ReplaceService<IModelCacheKeyFactory, ProviderModelCacheKeyFactory>();
        });
        builder.Services.TryAddSingleton<IBillingStore, EntityFrameworkBillingStore>();
        builder.Services.TryAddSingleton<IBillingJobLock, EntityFrameworkJobLock>();
        builder.Services.TryAddSingleton<IDispatchRateBudget, DispatchRateBudget>();
        builder.Services.TryAddSingleton<Events.IBillingEventStore, EntityFrameworkBillingEventStore>();
        builder.Services.TryAddSingleton<Plans.IRevenueHistoryStore, EntityFrameworkRevenueHistoryStore>();
        return builder;
    }
}
