using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using VaultAI.Billing.EntityFramework.Internal;

namespace VaultAI.Billing.EntityFramework.Tests;

/// <summary>The PostgreSQL migrations in the EF package, applied to empty databases on the throwaway cluster.</summary>
public sealed class MigrationTests
{
    private static readonly string[] Tables =
    [
        "billing_event_deliveries",
        "billing_events",
        "dispatch_rate_buckets",
        "instance_credentials",
        "invoices",
        "meter_event_outbox",
        "mrr_snapshots",
        "organizations",
        "usage_events",
        "usage_reports",
        "usage_totals",
        "webhook_events",
    ];

    private static readonly string[] UniqueIndexes =
    [
        "IX_billing_event_deliveries_event_id_handler",
        "IX_billing_events_deduplication_key",
        "IX_instance_credentials_token_hash",
        "IX_meter_event_outbox_identifier",
        "IX_meter_event_outbox_usage_report_id",
        "IX_organizations_stripe_customer_id",
        "IX_organizations_stripe_subscription_id",
        "IX_usage_events_organization_id_event_id",
        "IX_usage_reports_organization_id_idempotency_key",
    ];

    [Fact]
    public async Task MigrateAsync_EmptyDatabase_AppliesEveryMigrationAndCreatesTheBillingTables()
    {
        var connectionString = await TestDatabase.CreateDatabaseAsync("migrate");
        await using var db = CreateContext(connectionString);

        await db.Database.MigrateAsync();

        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        Assert.Contains(db.Database.GetMigrations(), id => id.EndsWith("_InitialCreate", StringComparison.Ordinal));

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        Assert.Equal(Tables, await ReadStrings(
            connection,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'billing' AND table_type = 'BASE TABLE' ORDER BY table_name"));
        Assert.Equal(UniqueIndexes, await ReadStrings(
            connection,
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace " +
            "WHERE n.nspname = 'billing' AND x.indisunique AND NOT x.indisprimary ORDER BY i.relname"));
    }

    [Fact]
    public async Task MigrateAsync_EmptyDatabase_ColumnsAreSnakeCaseAndTimesAreTimestampWithTimeZone()
    {
        var connectionString = await TestDatabase.CreateDatabaseAsync("migrate_cols");
        await using (var db = CreateContext(connectionString))
        {
            await db.Database.MigrateAsync();
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var columns = await ReadStrings(
            connection,
            "SELECT table_name || '.' || column_name || ':' || data_type FROM information_schema.columns WHERE table_schema = 'billing' ORDER BY 1");

        Assert.NotEmpty(columns);
        Assert.All(columns, column =>
        {
            var name = column[..column.IndexOf(':', StringComparison.Ordinal)];
            Assert.Equal(name.ToLowerInvariant(), name);
        });
        Assert.Contains("usage_reports.idempotency_key:character varying", columns);
        Assert.Contains("meter_event_outbox.next_attempt_at:timestamp with time zone", columns);
        Assert.Contains("organizations.created_at:timestamp with time zone", columns);
        Assert.Contains("invoices.period_start:timestamp with time zone", columns);
        Assert.DoesNotContain(columns, column => column.EndsWith(":timestamp without time zone", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HasPendingModelChanges_PostgresModel_MatchesTheLatestMigration()
    {
        // Building the model needs no connection: this fails when the model changed without a new migration.
        await using var db = CreateContext("Host=127.0.0.1;Database=model_only");

        Assert.False(
            db.Database.HasPendingModelChanges(),
            "The PostgreSQL model differs from the migration snapshot: add a migration (eng/BillingMigrations/README.md).");
    }

    [Fact]
    public async Task BillingDatabaseMigrateAsync_ThroughTheStoreRegistration_MigratesAndIsIdempotent()
    {
        var connectionString = await TestDatabase.CreateDatabaseAsync("migrate_di");
        var services = new ServiceCollection();
        services.AddVaultAIBilling().AddEntityFrameworkStore(options => options.UseNpgsql(connectionString));
        await using var provider = services.BuildServiceProvider();

        await BillingDatabase.MigrateAsync(provider);
        await BillingDatabase.MigrateAsync(provider);

        await using var db = await provider.GetRequiredService<IDbContextFactory<BillingDbContext>>().CreateDbContextAsync();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(0, await db.Organizations.CountAsync());
        Assert.Equal(0, await db.UsageReports.CountAsync());
    }

    private static BillingDbContext CreateContext(string connectionString) =>
        new(new DbContextOptionsBuilder<BillingDbContext>()
            .UseNpgsql(connectionString)
            .ReplaceService<IModelCacheKeyFactory, ProviderModelCacheKeyFactory>()
            .Options);

    private static async Task<List<string>> ReadStrings(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
