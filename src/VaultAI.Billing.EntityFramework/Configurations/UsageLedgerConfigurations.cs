using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;

namespace VaultAI.Billing.EntityFramework.Configurations;

internal sealed class UsageEventRecordConfiguration : IEntityTypeConfiguration<UsageEventRecord>
{
    public void Configure(EntityTypeBuilder<UsageEventRecord> builder)
    {
        builder.ToTable("usage_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).ValueGeneratedNever();
        builder.Property(e => e.EventId).HasMaxLength(255).IsRequired();
        builder.Property(e => e.Metric).HasMaxLength(64).IsRequired();
        builder.Property(e => e.Quantity).HasPrecision(28, 6);
        builder.Property(e => e.Source).HasMaxLength(32).IsRequired();
        builder.Property(e => e.NotBillableReason).HasMaxLength(200);
        // The final guard of idempotency, and the arbiter of INSERT ... ON CONFLICT DO NOTHING.
        builder.HasIndex(e => new { e.OrganizationId, e.EventId }).IsUnique();
        builder.HasIndex(e => new { e.OrganizationId, e.Metric, e.OccurredAt });
        builder.HasOne<Organization>().WithMany().HasForeignKey(e => e.OrganizationId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class UsagePeriodTotalConfiguration : IEntityTypeConfiguration<UsagePeriodTotal>
{
    public void Configure(EntityTypeBuilder<UsagePeriodTotal> builder)
    {
        builder.ToTable("usage_totals");
        // Organization and period first: reading a period's usage is one range of the primary key.
        builder.HasKey(t => new { t.OrganizationId, t.PeriodStart, t.Metric });
        builder.Property(t => t.Metric).HasMaxLength(64).IsRequired();
        builder.Property(t => t.Total).HasPrecision(28, 6);
        builder.Property(t => t.Reserved).HasPrecision(28, 6);
        builder.HasOne<Organization>().WithMany().HasForeignKey(t => t.OrganizationId).OnDelete(DeleteBehavior.Restrict);
    }
}
