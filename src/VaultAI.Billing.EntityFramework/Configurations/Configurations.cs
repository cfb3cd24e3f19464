using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using VaultAI.Billing.Credentials;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Webhooks;

namespace VaultAI.Billing.EntityFramework.Configurations;

internal sealed class OrganizationConfiguration : IEntityTypeConfiguration<Organization>
{
    public void Configure(EntityTypeBuilder<Organization> builder)
    {
        builder.ToTable("organizations");
        builder.HasKey(o => o.Id);
        builder.Property(o => o.Id).ValueGeneratedNever();
        builder.Property(o => o.Name).HasMaxLength(200).IsRequired();
        builder.Property(o => o.InstanceUrl).HasMaxLength(200);
        builder.Property(o => o.AdminEmail).HasMaxLength(200);
        builder.Property(o => o.StripeCustomerId).HasMaxLength(255);
        builder.Property(o => o.StripeSubscriptionId).HasMaxLength(255);
        builder.Property(o => o.DeploymentType).HasMaxLength(32);
        builder.Property(o => o.PlanKey).HasMaxLength(64);
        builder.Property(o => o.Status).HasMaxLength(32).IsRequired();
        builder.Property(o => o.StripeSubscriptionStatus).HasMaxLength(32);
        builder.Property(o => o.BillingInterval).HasMaxLength(16);
        builder.Property(o => o.LastSubscriptionEventId).HasMaxLength(255);
        builder.Property(o => o.Version).IsConcurrencyToken();
        builder.Ignore(o => o.IsLinked);
        builder.HasIndex(o => o.StripeCustomerId).IsUnique();
        builder.HasIndex(o => o.StripeSubscriptionId).IsUnique();
        builder.HasIndex(o => o.Status);
        builder.HasIndex(o => o.CreatedAt);
    }
}

internal sealed class InstanceCredentialConfiguration : IEntityTypeConfiguration<InstanceCredential>
{
    public void Configure(EntityTypeBuilder<InstanceCredential> builder)
    {
        builder.ToTable("instance_credentials");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).ValueGeneratedNever();
        builder.Property(c => c.TokenHash).HasMaxLength(64).IsRequired();
        builder.Property(c => c.TokenPrefix).HasMaxLength(16).IsRequired();
        builder.HasIndex(c => c.TokenHash).IsUnique();
        builder.HasIndex(c => c.OrganizationId);
        builder.HasOne<Organization>().WithMany().HasForeignKey(c => c.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class UsageReportConfiguration : IEntityTypeConfiguration<UsageReport>
{
    public void Configure(EntityTypeBuilder<UsageReport> builder)
    {
        builder.ToTable("usage_reports");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Id).ValueGeneratedNever();
        builder.Property(r => r.Metric).HasMaxLength(64).IsRequired();
        builder.Property(r => r.IdempotencyKey).HasMaxLength(255).IsRequired();
        builder.Property(r => r.Source).HasMaxLength(32).IsRequired();
        builder.Property(r => r.ReportedDeploymentType).HasMaxLength(32);
        builder.Property(r => r.NotBillableReason).HasMaxLength(500);
        // The final guard of idempotency: one report per key per organization, whatever the application does.
        builder.HasIndex(r => new { r.OrganizationId, r.IdempotencyKey }).IsUnique();
        builder.HasIndex(r => new { r.OrganizationId, r.OccurredAt });
        builder.HasOne<Organization>().WithMany().HasForeignKey(r => r.OrganizationId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class MeterEventOutboxConfiguration : IEntityTypeConfiguration<MeterEventOutboxMessage>
{
    public void Configure(EntityTypeBuilder<MeterEventOutboxMessage> builder)
    {
        builder.ToTable("meter_event_outbox");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Id).ValueGeneratedNever();
        builder.Property(m => m.EventName).HasMaxLength(100).IsRequired();
        builder.Property(m => m.StripeCustomerId).HasMaxLength(255).IsRequired();
        builder.Property(m => m.Identifier).HasMaxLength(100).IsRequired();
        builder.Property(m => m.Status).HasMaxLength(16).IsRequired();
        builder.Property(m => m.LeaseOwner).HasMaxLength(200);
        builder.Property(m => m.LastError).HasMaxLength(2000);
        builder.Property(m => m.StripeRequestId).HasMaxLength(255);
        // One meter event per report, ever: a report can be queued only once.
        builder.HasIndex(m => m.UsageReportId).IsUnique();
        builder.HasIndex(m => m.Identifier).IsUnique();
        builder.HasIndex(m => new { m.Status, m.NextAttemptAt });
        builder.HasOne<UsageReport>().WithMany().HasForeignKey(m => m.UsageReportId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class WebhookInboxEventConfiguration : IEntityTypeConfiguration<WebhookInboxEvent>
{
    public void Configure(EntityTypeBuilder<WebhookInboxEvent> builder)
    {
        builder.ToTable("webhook_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).HasMaxLength(255).ValueGeneratedNever();
        builder.Property(e => e.Type).HasMaxLength(100).IsRequired();
        builder.Property(e => e.ApiVersion).HasMaxLength(64);
        builder.Property(e => e.Status).HasMaxLength(16).IsRequired();
        builder.Property(e => e.LastError).HasMaxLength(2000);
        builder.Property(e => e.Payload).IsRequired();
        builder.HasIndex(e => new { e.Status, e.NextAttemptAt });
        builder.HasIndex(e => e.Created);
    }
}

internal sealed class InvoiceRecordConfiguration : IEntityTypeConfiguration<InvoiceRecord>
{
    public void Configure(EntityTypeBuilder<InvoiceRecord> builder)
    {
        builder.ToTable("invoices");
        builder.HasKey(i => i.Id);
        builder.Property(i => i.Id).HasMaxLength(255).ValueGeneratedNever();
        builder.Property(i => i.Number).HasMaxLength(100);
        builder.Property(i => i.Status).HasMaxLength(32).IsRequired();
        builder.Property(i => i.Currency).HasMaxLength(3).IsRequired();
        builder.Property(i => i.HostedInvoiceUrl).HasMaxLength(2000);
        builder.Property(i => i.InvoicePdf).HasMaxLength(2000);
        builder.HasIndex(i => new { i.OrganizationId, i.PeriodStart });
        builder.HasOne<Organization>().WithMany().HasForeignKey(i => i.OrganizationId).OnDelete(DeleteBehavior.Restrict);
    }
}
