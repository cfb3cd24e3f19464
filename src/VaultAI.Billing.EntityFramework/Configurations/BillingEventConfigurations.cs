using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using VaultAI.Billing.Events;

namespace VaultAI.Billing.EntityFramework.Configurations;

internal sealed class BillingEventConfiguration : IEntityTypeConfiguration<BillingEvent>
{
    public void Configure(EntityTypeBuilder<BillingEvent> builder)
    {
        builder.ToTable("billing_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).ValueGeneratedNever();
        builder.Property(e => e.Type).HasMaxLength(64).IsRequired();
        builder.Property(e => e.Actor).HasMaxLength(200).IsRequired();
        builder.Property(e => e.Data).IsRequired();
        builder.Property(e => e.DeduplicationKey).HasMaxLength(300);
        // "Once" (per period, per Stripe event, per grace period) is guarded here, whatever the hosts do.
        builder.HasIndex(e => e.DeduplicationKey).IsUnique();
        builder.HasIndex(e => new { e.OrganizationId, e.OccurredAt });
        builder.HasIndex(e => new { e.Type, e.OccurredAt });
        builder.HasIndex(e => e.OccurredAt);
    }
}

internal sealed class BillingEventDeliveryConfiguration : IEntityTypeConfiguration<BillingEventDelivery>
{
    public void Configure(EntityTypeBuilder<BillingEventDelivery> builder)
    {
        builder.ToTable("billing_event_deliveries");
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Id).ValueGeneratedNever();
        builder.Property(d => d.Handler).HasMaxLength(300).IsRequired();
        builder.Property(d => d.Status).HasMaxLength(16).IsRequired();
        builder.Property(d => d.LeaseOwner).HasMaxLength(200);
        builder.Property(d => d.LastError).HasMaxLength(2000);
        builder.HasIndex(d => new { d.EventId, d.Handler }).IsUnique();
        builder.HasIndex(d => new { d.Status, d.NextAttemptAt });
        builder.HasOne<BillingEvent>().WithMany().HasForeignKey(d => d.EventId).OnDelete(DeleteBehavior.Restrict);
    }
}
