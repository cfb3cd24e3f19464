using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using VaultAI.Billing.Credentials;
using VaultAI.Billing.Organizations;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>
/// The reads and writes of a report's first visit on PostgreSQL (its credential not yet cached on this host, its
/// organization not yet remembered): one prepared statement reads the credential and its organization together, so an
/// organization's first report costs about what its later ones do. Measured with <c>bench/cpu-per-report.sh</c>.
/// </summary>
internal sealed partial class EntityFrameworkBillingStore
{
    // A compiled query skips building and looking up the LINQ expression on every call.
    private static readonly Func<BillingDbContext, Guid, CancellationToken, Task<Organization?>> OrganizationById =
        EF.CompileAsyncQuery((BillingDbContext db, Guid id, CancellationToken _) => db.Organizations.AsNoTracking().FirstOrDefault(o => o.Id == id));

    // The credential and, in the same row, its organization: the report that follows finds the organization remembered and
    // reads nothing more. Column order matters to ReadOrganization.
    private const string CredentialWithOrganizationSql = """
        SELECT c.id, c.organization_id, c.token_prefix, c.created_at, c.last_used_at,
               o.id, o.name, o.instance_url, o.admin_email, o.stripe_customer_id, o.stripe_subscription_id, o.deployment_type,
               o.plan_key, o.status, o.stripe_subscription_status, o.trial_end, o.trial_will_end_notified_at,
               o.current_period_start, o.current_period_end, o.billing_interval, o.licensed_quantity, o.cancel_at_period_end,
               o.last_subscription_event_at, o.last_subscription_event_id, o.past_due_since, o.last_user_count, o.last_report_at,
               o.created_at, o.linked_at, o.updated_at, o.version
        FROM billing.instance_credentials c
        LEFT JOIN billing.organizations o ON o.id = c.organization_id
        WHERE c.token_hash = @token_hash AND c.revoked_at IS NULL
        """;

    private const int OrganizationColumn = 5;

    private async Task<InstanceCredential?> FindActiveCredentialPostgresAsync(BillingDbContext db, string tokenHash, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        using var command = new NpgsqlCommand(CredentialWithOrganizationSql, (NpgsqlConnection)db.Database.GetDbConnection());
        command.Parameters.Add(new NpgsqlParameter("token_hash", NpgsqlDbType.Varchar) { Value = tokenHash });
        // Prepared once per pooled connection: PostgreSQL parses and plans it once, later calls only bind.
        await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var credential = new InstanceCredential
        {
            Id = reader.GetGuid(0),
            OrganizationId = reader.GetGuid(1),
            TokenHash = tokenHash,
            TokenPrefix = reader.GetString(2),
            CreatedAt = reader.GetFieldValue<DateTimeOffset>(3),
            LastUsedAt = NullableTime(reader, 4),
        };

        if (!reader.IsDBNull(OrganizationColumn))
        {
            // Only a hint for the report that follows, like every remembered organization: its write checks the row still matches.
            Remember(ReadOrganization(reader, OrganizationColumn));
        }

        return credential;
    }

    private static Organization ReadOrganization(NpgsqlDataReader reader, int first) => new()
    {
        Id = reader.GetGuid(first),
        Name = reader.GetString(first + 1),
        InstanceUrl = NullableText(reader, first + 2),
        AdminEmail = NullableText(reader, first + 3),
        StripeCustomerId = NullableText(reader, first + 4),
        StripeSubscriptionId = NullableText(reader, first + 5),
        DeploymentType = NullableText(reader, first + 6),
        PlanKey = NullableText(reader, first + 7),
        Status = reader.GetString(first + 8),
        StripeSubscriptionStatus = NullableText(reader, first + 9),
        TrialEnd = NullableTime(reader, first + 10),
        TrialWillEndNotifiedAt = NullableTime(reader, first + 11),
        CurrentPeriodStart = NullableTime(reader, first + 12),
        CurrentPeriodEnd = NullableTime(reader, first + 13),
        BillingInterval = NullableText(reader, first + 14),
        LicensedQuantity = reader.IsDBNull(first + 15) ? null : reader.GetInt64(first + 15),
        CancelAtPeriodEnd = reader.GetBoolean(first + 16),
        LastSubscriptionEventAt = NullableTime(reader, first + 17),
        LastSubscriptionEventId = NullableText(reader, first + 18),
        PastDueSince = NullableTime(reader, first + 19),
        LastUserCount = reader.IsDBNull(first + 20) ? null : reader.GetInt64(first + 20),
        LastReportAt = NullableTime(reader, first + 21),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(first + 22),
        LinkedAt = NullableTime(reader, first + 23),
        UpdatedAt = reader.GetFieldValue<DateTimeOffset>(first + 24),
        Version = reader.GetInt64(first + 25),
    };

    private static string? NullableText(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    /// <summary>One statement for every credential used since the last flush; "last used" only moves forward.</summary>
    private static async Task TouchCredentialsPostgresAsync(BillingDbContext db, Guid[] credentialIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        using var command = new NpgsqlCommand(
            "UPDATE billing.instance_credentials SET last_used_at = GREATEST(last_used_at, @now) WHERE id = ANY(@ids)",
            (NpgsqlConnection)db.Database.GetDbConnection());
        command.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.TimestampTz) { Value = now.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = credentialIds });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
