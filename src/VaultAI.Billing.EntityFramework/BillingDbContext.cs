using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using VaultAI.Billing.Credentials;
using VaultAI.Billing.EntityFramework.Configurations;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Webhooks;

namespace VaultAI.Billing.EntityFramework;

/// <summary>
/// The billing database, in schema <c>billing</c> with snake_case names. PostgreSQL in production
/// (with migrations in this package); SQLite for single-process demos (schema created at start).
/// </summary>
public sealed class BillingDbContext(DbContextOptions<BillingDbContext> options) : DbContext(options)
{
    /// <summary>The schema every table lives in.</summary>
    public const string Schema = "billing";

    /// <summary>Organizations (one per instance).</summary>
    public DbSet<Organization> Organizations => Set<Organization>();

    /// <summary>Instance tokens, hashed.</summary>
    public DbSet<InstanceCredential> Credentials => Set<InstanceCredential>();

    /// <summary>The usage ledger.</summary>
    public DbSet<UsageReport> UsageReports => Set<UsageReport>();

    /// <summary>The usage event ledger (generic metrics).</summary>
    public DbSet<UsageEventRecord> UsageEvents => Set<UsageEventRecord>();

    /// <summary>Usage totals per organization, metric and billing period.</summary>
    public DbSet<UsagePeriodTotal> UsageTotals => Set<UsagePeriodTotal>();

    /// <summary>Meter events waiting for, or sent to, Stripe.</summary>
    public DbSet<MeterEventOutboxMessage> MeterEventOutbox => Set<MeterEventOutboxMessage>();

    /// <summary>Stripe events received.</summary>
    public DbSet<WebhookInboxEvent> WebhookEvents => Set<WebhookInboxEvent>();

    /// <summary>The invoice mirror.</summary>
    public DbSet<InvoiceRecord> Invoices => Set<InvoiceRecord>();

    /// <summary>The billing event log (append-only).</summary>
    public DbSet<Events.BillingEvent> BillingEvents => Set<Events.BillingEvent>();

    /// <summary>The outbox of billing events for the host's handlers.</summary>
    public DbSet<Events.BillingEventDelivery> BillingEventDeliveries => Set<Events.BillingEventDelivery>();

    /// <summary>The MRR per day and currency (see <see cref="Plans.RevenueHistory"/>).</summary>
    public DbSet<Plans.MrrSnapshot> MrrSnapshots => Set<Plans.MrrSnapshot>();

    /// <summary>Whether this context runs on SQLite (the demo path).</summary>
    /// <remarks>
    /// Read from the options once, when the context is built: <c>Database.ProviderName</c> asks each provider for its
    /// assembly name by reflection, which cost measurable time on every call of the hot paths and the model cache key.
    /// </remarks>
    internal bool IsSqlite { get; } = options.Extensions.Any(static extension =>
        extension.Info.IsDatabaseProvider && extension.GetType().Assembly == typeof(SqliteDbContextOptionsBuilder).Assembly);

    /// <inheritdoc />
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        if (IsSqlite)
        {
            // SQLite cannot compare or order DateTimeOffset; every value we store is UTC, so ticks order correctly.
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
        }
    }

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(IsSqlite ? null : Schema);
        modelBuilder.ApplyConfiguration(new OrganizationConfiguration());
        modelBuilder.ApplyConfiguration(new InstanceCredentialConfiguration());
        modelBuilder.ApplyConfiguration(new UsageReportConfiguration());
        modelBuilder.ApplyConfiguration(new MeterEventOutboxConfiguration());
        modelBuilder.ApplyConfiguration(new WebhookInboxEventConfiguration());
        modelBuilder.ApplyConfiguration(new InvoiceRecordConfiguration());
        modelBuilder.ApplyConfiguration(new UsageEventRecordConfiguration());
        modelBuilder.ApplyConfiguration(new UsagePeriodTotalConfiguration());
        modelBuilder.ApplyConfiguration(new DispatchRateBucketConfiguration());
        modelBuilder.ApplyConfiguration(new BillingEventConfiguration());
        modelBuilder.ApplyConfiguration(new BillingEventDeliveryConfiguration());
        modelBuilder.ApplyConfiguration(new MrrSnapshotConfiguration());

        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(SnakeCase(property.Name));
            }
        }
    }

    internal static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1]))))
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
