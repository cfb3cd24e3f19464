using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace VaultAI.Billing.EntityFramework;

/// <summary>Creates or upgrades the billing schema. The host decides when: at start, or with a <c>migrate</c> command.</summary>
public static class BillingDatabase
{
    /// <summary>
    /// Applies the PostgreSQL migrations; on SQLite (the demo path, which has no migrations) creates the schema if missing,
    /// and adds the tables and indexes a demo database made by an earlier release lacks (new tables only, never new columns).
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
            if (!await db.Database.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false))
            {
                // The file existed: EnsureCreated left it alone. Run the create script made idempotent, so tables added since
                // (for example the usage ledger) appear and existing ones are untouched.
                var script = db.Database.GenerateCreateScript()
                    .Replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", StringComparison.Ordinal)
                    .Replace("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX IF NOT EXISTS ", StringComparison.Ordinal)
                    .Replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", StringComparison.Ordinal);
                await db.Database.ExecuteSqlRawAsync(script, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            await db.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
