using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using VaultAI.Billing.EntityFramework;
using VaultAI.Billing.EntityFramework.Internal;

namespace VaultAI.Billing.BillingMigrations;

/// <summary>
/// What <c>dotnet ef</c> uses to build the PostgreSQL model. Options match
/// <c>AddEntityFrameworkStore</c> (per-provider model cache key); migrations go to the EF project.
/// No connection is opened for <c>migrations add</c> or <c>migrations script</c>.
/// </summary>
internal sealed class BillingDesignTimeDbContextFactory : IDesignTimeDbContextFactory<BillingDbContext>
{
    public const string MigrationsAssembly = "VaultAI.Billing.EntityFramework";

    public BillingDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<BillingDbContext>()
            .UseNpgsql("Host=127.0.0.1;Database=design_time_only", npgsql => npgsql.MigrationsAssembly(MigrationsAssembly))
            .ReplaceService<IModelCacheKeyFactory, ProviderModelCacheKeyFactory>()
            .Options;
        return new BillingDbContext(options);
    }
}
