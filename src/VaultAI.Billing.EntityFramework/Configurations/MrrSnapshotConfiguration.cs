using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using VaultAI.Billing.Plans;

namespace VaultAI.Billing.EntityFramework.Configurations;

internal sealed class MrrSnapshotConfiguration : IEntityTypeConfiguration<MrrSnapshot>
{
    public void Configure(EntityTypeBuilder<MrrSnapshot> builder)
    {
        builder.ToTable("mrr_snapshots");
        // One row per day and currency: the key is what makes recording a day again an update, whatever the hosts do.
        builder.HasKey(s => new { s.Day, s.Currency });
        builder.Property(s => s.Currency).HasMaxLength(3);
    }
}
