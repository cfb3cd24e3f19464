using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using VaultAI.Billing.Credentials;
using VaultAI.Billing.Credentials.Internal;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>
/// The reads and writes of a report's first visit on PostgreSQL (its credential not yet cached on this host, its
/// organization not yet remembered): the report statement itself checks the token and answers with the credential and the
/// organization, so an organization's first report is one round trip like its later ones (measured with
/// <c>bench/cpu-per-report.sh</c>). Other first requests read the credential and its organization in one prepared statement.
/// </summary>
internal sealed partial class EntityFrameworkBillingStore : IFirstReportStore
{
    // A compiled query skips building and looking up the LINQ expression on every call.
    private static readonly Func<BillingDbContext, Guid, CancellationToken, Task<Organization?>> OrganizationById =
        EF.CompileAsyncQuery((BillingDbContext db, Guid id, CancellationToken _) => db.Organizations.AsNoTracking().FirstOrDefault(o => o.Id == id));

    // The credential and, in the same row, its organization: the report that follows finds the organization remembered and
    // reads nothing more. Column order matters to ReadOrganization.
    private const string CredentialWithOrganizationSql = $"""
        SELECT c.id, c.organization_id, c.token_prefix, c.created_at, c.last_used_at,
               {OrganizationColumnsSql}
        FROM billing.instance_credentials c
        LEFT JOIN billing.organizations o ON o.id = c.organization_id
        WHERE c.token_hash = @token_hash AND c.revoked_at IS NULL
        """;

    // The columns ReadOrganization reads, in its order.
    private const string OrganizationColumnsSql = """
        o.id, o.name, o.instance_url, o.admin_email, o.stripe_customer_id, o.stripe_subscription_id, o.deployment_type,
               o.plan_key, o.status, o.stripe_subscription_status, o.trial_end, o.trial_will_end_notified_at,
               o.current_period_start, o.current_period_end, o.billing_interval, o.licensed_quantity, o.cancel_at_period_end,
               o.last_subscription_event_at, o.last_subscription_event_id, o.past_due_since, o.last_user_count, o.last_report_at,
               o.created_at, o.linked_at, o.updated_at, o.version
        """;

    // The head of a first report's statement (BuildIngestSql with WithToken): the active credential of the token.
    private const string CredentialCteSql = """
        credential AS (
                SELECT id, organization_id, token_prefix, created_at, last_used_at FROM billing.instance_credentials
                WHERE token_hash = @token_hash AND revoked_at IS NULL
            ),
            
        """;

    // The tail of a first report's statement: the credential (or nulls) and its organization's row as it was before the
    // statement (a statement's own writes are not visible to its final SELECT). Column order matters to ReadFirstReport.
    private const string FirstReportAnswerSql = $"""
        ,
                   c.id, c.organization_id, c.token_prefix, c.created_at, c.last_used_at,
                   {OrganizationColumnsSql}
            FROM (SELECT 1) AS one
            LEFT JOIN credential c ON TRUE
            LEFT JOIN billing.organizations o ON o.id = c.organization_id
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

        var credential = ReadCredential(reader, 0, tokenHash);
        if (!reader.IsDBNull(OrganizationColumn))
        {
            // Only a hint for the report that follows, like every remembered organization: its write checks the row still matches.
            Remember(ReadOrganization(reader, OrganizationColumn));
        }

        return credential;
    }

    /// <summary>
    /// A report whose token this host has not cached: one statement checks the token, writes the report as
    /// <see cref="IngestUsageAsync"/> does and returns the credential and the organization, which the caller caches.
    /// </summary>
    public async Task<FirstReportOutcome> IngestUsageWithTokenAsync(
        string tokenHash,
        UsageReport report,
        string? reportedName,
        string? reportedUrl,
        MetricAggregation aggregation,
        Func<Organization, UsageReport, MeterEventOutboxMessage?> createOutbox,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(createOutbox);
        InstanceCredential? credential;
        using (var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!db.IsSqlite)
            {
                return await IngestFirstReportPostgresAsync(db, tokenHash, report, reportedName, reportedUrl, aggregation, createOutbox, cancellationToken).ConfigureAwait(false);
            }

            credential = await db.Credentials.AsNoTracking().FirstOrDefaultAsync(c => c.TokenHash == tokenHash && c.RevokedAt == null, cancellationToken).ConfigureAwait(false);
        }

        // The demo's path: the credential first, then the usual write under the SQLite gate.
        return credential is null || credential.OrganizationId != report.OrganizationId
            ? new FirstReportOutcome(credential, null)
            : new FirstReportOutcome(credential, await IngestUsageSqliteAsync(report, reportedName, reportedUrl, aggregation, createOutbox, cancellationToken).ConfigureAwait(false));
    }

    private async Task<FirstReportOutcome> IngestFirstReportPostgresAsync(
        BillingDbContext db,
        string tokenHash,
        UsageReport report,
        string? reportedName,
        string? reportedUrl,
        MetricAggregation aggregation,
        Func<Organization, UsageReport, MeterEventOutboxMessage?> createOutbox,
        CancellationToken cancellationToken)
    {
        var (connection, seen) = await OpenForReportAsync(db, report, reportedName, reportedUrl, cancellationToken).ConfigureAwait(false);

        // The organization is not known here yet. Decide as for one registered and not linked to Stripe (the usual first
        // report: instances reporting daily before or without billing through Stripe); the statement writes only when the row
        // has exactly the fields this decision depends on, and otherwise answers with the row, to decide on as later reports do.
        var presumed = new Organization { Id = report.OrganizationId, Status = OrganizationStatus.Pending };
        var outbox = createOutbox(presumed, report);
        var period = UsagePeriod.For(presumed, report.OccurredAt);
        var owner = _activity.TryAcquire(report.OrganizationId);
        FirstReportRow? row = null;
        try
        {
            var sql = IngestSql.GetOrAdd((aggregation, owner, true), BuildIngestSql);
            var lastSeen = owner ? seen : null;
            async Task Alone()
            {
                using var command = new NpgsqlCommand(sql, connection);
                AddFirstReportParameters(command.Parameters, tokenHash, presumed, report, period, aggregation, outbox, lastSeen);
                // Prepared once per pooled connection, like the report statement of later reports.
                await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
                using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                row = ReadFirstReport(reader, tokenHash);
            }

            // Through the group commit like later reports (the daily case: many organizations' first reports at once);
            // alone when its batch failed, which wrote nothing.
            var ran = await RunGroupedAsync(
                db,
                report.OrganizationId,
                () =>
                {
                    var command = new NpgsqlBatchCommand(sql);
                    AddFirstReportParameters(command.Parameters, tokenHash, presumed, report, period, aggregation, outbox, lastSeen);
                    return command;
                },
                reader => row = ReadFirstReport(reader, tokenHash),
                Alone,
                cancellationToken).ConfigureAwait(false);
            if (!ran)
            {
                row = null;
                await Alone().ConfigureAwait(false);
            }

            if (row is { Inserted: true } && !owner)
            {
                owner = _activity.Deposit(report.OrganizationId, seen);
            }
        }
        catch (PostgresException exception) when (exception.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
        {
            // One statement: nothing of it was written. The credential is read on its own below, then the usual write retries.
        }
        finally
        {
            if (owner)
            {
                await FlushLastSeenAsync(connection, report.OrganizationId).ConfigureAwait(false);
            }
        }

        if (row is null)
        {
            var found = await FindActiveCredentialPostgresAsync(db, tokenHash, cancellationToken).ConfigureAwait(false);
            return found is null || found.OrganizationId != report.OrganizationId
                ? new FirstReportOutcome(found, null)
                : new FirstReportOutcome(found, await IngestUsagePostgresAsync(db, report, reportedName, reportedUrl, aggregation, createOutbox, cancellationToken).ConfigureAwait(false));
        }

        if (row.Credential is null)
        {
            return new FirstReportOutcome(null, null);
        }

        if (row.Organization is { } organization)
        {
            // A hint for the reports that follow, like every remembered organization: their write checks the row still matches.
            Remember(organization);
        }

        if (row.Credential.OrganizationId != report.OrganizationId)
        {
            return new FirstReportOutcome(row.Credential, null);
        }

        if (row.Inserted)
        {
            return new FirstReportOutcome(row.Credential, new IngestResult(report, row.Organization!, Duplicate: false, outbox));
        }

        if (row.OrganizationMatched)
        {
            return new FirstReportOutcome(row.Credential, await ReadDuplicateAsync(db, connection, row.Organization!, report, aggregation, cancellationToken).ConfigureAwait(false));
        }

        // Linked to Stripe (or changed meanwhile): the organization is remembered now; decide on it and write as a later report.
        return new FirstReportOutcome(row.Credential, await IngestUsagePostgresAsync(db, report, reportedName, reportedUrl, aggregation, createOutbox, cancellationToken).ConfigureAwait(false));
    }

    private static void AddFirstReportParameters(
        NpgsqlParameterCollection parameters,
        string tokenHash,
        Organization presumed,
        UsageReport report,
        UsagePeriod period,
        MetricAggregation aggregation,
        MeterEventOutboxMessage? outbox,
        LastSeen? lastSeen)
    {
        parameters.Add(new NpgsqlParameter("token_hash", NpgsqlDbType.Varchar) { Value = tokenHash });
        AddIngestParameters(parameters, presumed, report, period, aggregation, outbox, withVersion: false);
        if (lastSeen is not null)
        {
            AddLastSeenParameters(parameters, lastSeen);
        }
    }

    private static FirstReportRow ReadFirstReport(NpgsqlDataReader reader, string tokenHash) => new(
        OrganizationMatched: reader.GetInt32(0) == 1,
        Inserted: reader.GetInt32(1) == 1,
        Credential: reader.IsDBNull(2) ? null : ReadCredential(reader, 2, tokenHash),
        Organization: reader.IsDBNull(FirstReportOrganizationColumn) ? null : ReadOrganization(reader, FirstReportOrganizationColumn));

    private const int FirstReportOrganizationColumn = 7;

    private static InstanceCredential ReadCredential(NpgsqlDataReader reader, int first, string tokenHash) => new()
    {
        Id = reader.GetGuid(first),
        OrganizationId = reader.GetGuid(first + 1),
        TokenHash = tokenHash,
        TokenPrefix = reader.GetString(first + 2),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(first + 3),
        LastUsedAt = NullableTime(reader, first + 4),
    };

    private sealed record FirstReportRow(bool OrganizationMatched, bool Inserted, InstanceCredential? Credential, Organization? Organization);

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
