using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using VaultAI.Billing.Credentials;
using VaultAI.Billing.Organizations;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>
/// The reads and writes of a report's first visit on PostgreSQL (its credential not yet cached on this host, its
/// organization not yet remembered): plain Npgsql commands or a compiled query, so an organization's first report costs
/// about what its later ones do. Measured with <c>bench/cpu-per-report.sh</c>.
/// </summary>
internal sealed partial class EntityFrameworkBillingStore
{
    // A compiled query skips building and looking up the LINQ expression on every call.
    private static readonly Func<BillingDbContext, Guid, CancellationToken, Task<Organization?>> OrganizationById =
        EF.CompileAsyncQuery((BillingDbContext db, Guid id, CancellationToken _) => db.Organizations.AsNoTracking().FirstOrDefault(o => o.Id == id));

    private static async Task<InstanceCredential?> FindActiveCredentialPostgresAsync(BillingDbContext db, string tokenHash, CancellationToken cancellationToken)
    {
        const string Sql = """
            SELECT id, organization_id, token_prefix, created_at, last_used_at
            FROM billing.instance_credentials
            WHERE token_hash = @token_hash AND revoked_at IS NULL
            """;
        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        using var command = new NpgsqlCommand(Sql, (NpgsqlConnection)db.Database.GetDbConnection());
        command.Parameters.Add(new NpgsqlParameter("token_hash", NpgsqlDbType.Varchar) { Value = tokenHash });
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new InstanceCredential
        {
            Id = reader.GetGuid(0),
            OrganizationId = reader.GetGuid(1),
            TokenHash = tokenHash,
            TokenPrefix = reader.GetString(2),
            CreatedAt = reader.GetFieldValue<DateTimeOffset>(3),
            LastUsedAt = reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
        };
    }

    private static async Task TouchCredentialPostgresAsync(BillingDbContext db, Guid credentialId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        using var command = new NpgsqlCommand("UPDATE billing.instance_credentials SET last_used_at = @now WHERE id = @id", (NpgsqlConnection)db.Database.GetDbConnection());
        command.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.TimestampTz) { Value = now.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter("id", NpgsqlDbType.Uuid) { Value = credentialId });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
