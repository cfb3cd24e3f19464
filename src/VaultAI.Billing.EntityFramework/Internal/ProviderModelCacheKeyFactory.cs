using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>The model differs between PostgreSQL and SQLite (schema, converters): cache one per provider.</summary>
internal sealed class ProviderModelCacheKeyFactory : IModelCacheKeyFactory
{
    public object Create(DbContext context, bool designTime) =>
        (context.GetType(), context is BillingDbContext { IsSqlite: true }, designTime);
}
