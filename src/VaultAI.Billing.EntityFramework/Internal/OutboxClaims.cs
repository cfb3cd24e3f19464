using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
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
            rows = await db.MeterEventOutbox.FromSql($"""
                UPDATE billing.meter_event_outbox AS o
                SET lease_owner = {owner}, lease_expires_at = {leaseUntil}, attempts = o.attempts + 1
                WHERE o.id = ANY(ARRAY(
                    SELECT c.id FROM billing.meter_event_outbox AS c
                    WHERE c.status = {OutboxStatus.Pending} AND c.next_attempt_at <= {now}
                      AND (c.lease_expires_at IS NULL OR c.lease_expires_at <= {now})
                    ORDER BY c.next_attempt_at
                    LIMIT {batchSize}
                    FOR UPDATE SKIP LOCKED))
                RETURNING o.*
                """).AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var ids = await ClaimSqliteAsync(db, batchSize, owner, now, leaseUntil, cancellationToken).ConfigureAwait(false);
            rows = ids.Count == 0 ? [] : await db.MeterEventOutbox.AsNoTracking().Where(m => ids.Contains(m.Id)).ToListAsync(cancellationToken).ConfigureAwait(false);
        }

        rows.Sort((a, b) => a.NextAttemptAt != b.NextAttemptAt ? a.NextAttemptAt.CompareTo(b.NextAttemptAt) : a.Id.CompareTo(b.Id));
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
