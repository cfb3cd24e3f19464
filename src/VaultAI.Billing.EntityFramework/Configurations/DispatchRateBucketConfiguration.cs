using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using VaultAI.Billing.EntityFramework.Internal;

namespace VaultAI.Billing.EntityFramework.Configurations;

internal sealed class DispatchRateBucketConfiguration : IEntityTypeConfiguration<DispatchRateBucket>
{
    public void Configure(EntityTypeBuilder<DispatchRateBucket> builder)
    {
        builder.ToTable("dispatch_rate_buckets");
        builder.HasKey(b => b.Name);
        builder.Property(b => b.Name).HasMaxLength(64).ValueGeneratedNever();
    }
}
