using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace VaultAI.Billing.EntityFramework;

/// <summary>Creates or upgrades the billing schema. The host decides when: at start, or with a <c>migrate</c> command.</summary>
public static class BillingDatabase
{
    /// <summary>
    /// Applies the PostgreSQL migrations; on SQLite (the demo path, which has no migrations) creates the schema if missing.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="cancellationToken">Cancels the migration.</param>
    /// <returns>A task that completes when the schema is current.</returns>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var factory = services.GetRequiredService<IDbContextFactory<BillingDbContext>>();
        using var db = await factory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (db.IsSqlite)
        {
            await db.Database.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await db.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
