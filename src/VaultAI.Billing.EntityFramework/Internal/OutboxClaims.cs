using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Npgsql;
using NpgsqlTypes;
using VaultAI.Billing.Metering;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>
/// The one provider-specific piece of SQL: claiming due outbox rows under a lease.
/// PostgreSQL uses <c>FOR UPDATE SKIP LOCKED</c>, so any number of hosts claim disjoint rows without waiting.
/// SQLite has neither row locks nor concurrent writers: there, claims are serialised in the process, which is
/// correct for the single-process demo it serves and for nothing else.
/// </summary>
internal static class OutboxClaims
{
    private static readonly DateTimeOffsetToBinaryConverter SqliteTime = new();

    /// <summary>
    /// Claims due rows and returns them as claimed, in due order. On PostgreSQL this is one statement (the claimed
    /// rows come back from <c>RETURNING</c>); on SQLite the ids are claimed and the rows read after.
    /// </summary>
    /// <remarks>
    /// On PostgreSQL the rows are picked in the order of the (status, next_attempt_at) index alone, so the scan stops
    /// after the batch instead of sorting every due row (rows due at the same instant come in index order; they are
    /// sorted by id once claimed), and the claimed ids reach the update as an array, looked up by primary key rather
    /// than joined against a scan of the whole table.
    /// </remarks>
    public static async Task<List<MeterEventOutboxMessage>> ClaimRowsAsync(BillingDbContext db, int batchSize, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        List<MeterEventOutboxMessage> rows;
        if (!db.IsSqlite)
        {
            rows = await ClaimPostgresAsync(db, batchSize, owner, now, leaseUntil, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var ids = await ClaimSqliteAsync(db, batchSize, owner, now, leaseUntil, cancellationToken).ConfigureAwait(false);
            rows = ids.Count == 0 ? [] : await db.MeterEventOutbox.AsNoTracking().Where(m => ids.Contains(m.Id)).ToListAsync(cancellationToken).ConfigureAwait(false);
        }

        rows.Sort((a, b) => a.NextAttemptAt != b.NextAttemptAt ? a.NextAttemptAt.CompareTo(b.NextAttemptAt) : a.Id.CompareTo(b.Id));
        return rows;
    }

    // A plain Npgsql command read by column position: a v2 dispatcher claims a thousand rows at a time, and EF's query
    // pipeline and materializer cost more than the statement itself.
    private const string ClaimSql = """
        UPDATE billing.meter_event_outbox AS o
        SET lease_owner = @owner, lease_expires_at = @lease_until, attempts = o.attempts + 1
        WHERE o.id = ANY(ARRAY(
            SELECT c.id FROM billing.meter_event_outbox AS c
            WHERE c.status = @pending AND c.next_attempt_at <= @now
              AND (c.lease_expires_at IS NULL OR c.lease_expires_at <= @now)
            ORDER BY c.next_attempt_at
            LIMIT @batch_size
            FOR UPDATE SKIP LOCKED))
        RETURNING o.id, o.usage_report_id, o.organization_id, o.event_name, o.stripe_customer_id, o.value, o.identifier,
                  o.timestamp, o.status, o.attempts, o.next_attempt_at, o.lease_owner, o.lease_expires_at, o.last_error,
                  o.stripe_request_id, o.created_at, o.sent_at
        """;

    private static async Task<List<MeterEventOutboxMessage>> ClaimPostgresAsync(BillingDbContext db, int batchSize, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        using var command = new NpgsqlCommand(ClaimSql, (NpgsqlConnection)db.Database.GetDbConnection());
        command.Parameters.Add(new NpgsqlParameter("owner", NpgsqlDbType.Text) { Value = owner });
        command.Parameters.Add(new NpgsqlParameter("lease_until", NpgsqlDbType.TimestampTz) { Value = leaseUntil.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter("pending", NpgsqlDbType.Text) { Value = OutboxStatus.Pending });
        command.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.TimestampTz) { Value = now.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter("batch_size", NpgsqlDbType.Integer) { Value = batchSize });
        var rows = new List<MeterEventOutboxMessage>(batchSize);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new MeterEventOutboxMessage
            {
                Id = reader.GetGuid(0),
                UsageReportId = reader.IsDBNull(1) ? null : reader.GetGuid(1),
                OrganizationId = reader.GetGuid(2),
                EventName = reader.GetString(3),
                StripeCustomerId = reader.GetString(4),
                Value = reader.GetInt64(5),
                Identifier = reader.GetString(6),
                Timestamp = reader.GetFieldValue<DateTimeOffset>(7),
                Status = reader.GetString(8),
                Attempts = reader.GetInt32(9),
                NextAttemptAt = reader.GetFieldValue<DateTimeOffset>(10),
                LeaseOwner = reader.IsDBNull(11) ? null : reader.GetString(11),
                LeaseExpiresAt = reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12),
                LastError = reader.IsDBNull(13) ? null : reader.GetString(13),
                StripeRequestId = reader.IsDBNull(14) ? null : reader.GetString(14),
                CreatedAt = reader.GetFieldValue<DateTimeOffset>(15),
                SentAt = reader.IsDBNull(16) ? null : reader.GetFieldValue<DateTimeOffset>(16),
            });
        }

        return rows;
    }

    private static async Task<List<Guid>> ClaimSqliteAsync(BillingDbContext db, int batchSize, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        var nowValue = (long)SqliteTime.ConvertToProvider(now)!;
        var untilValue = (long)SqliteTime.ConvertToProvider(leaseUntil)!;
        await RowLocks.SqliteWriter.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await db.Database.SqlQuery<Guid>($"""
                UPDATE meter_event_outbox
                SET lease_owner = {owner}, lease_expires_at = {untilValue}, attempts = attempts + 1
                WHERE id IN (
                    SELECT c.id FROM meter_event_outbox AS c
                    WHERE c.status = {OutboxStatus.Pending} AND c.next_attempt_at <= {nowValue}
                      AND (c.lease_expires_at IS NULL OR c.lease_expires_at <= {nowValue})
                    ORDER BY c.next_attempt_at, c.id
                    LIMIT {batchSize})
                RETURNING id AS "Value"
                """).ToListAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            RowLocks.SqliteWriter.Release();
        }
    }
}
