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

    public static async Task<List<Guid>> ClaimAsync(BillingDbContext db, int batchSize, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        if (!db.IsSqlite)
        {
            return await db.Database.SqlQuery<Guid>($"""
                UPDATE billing.meter_event_outbox AS o
                SET lease_owner = {owner}, lease_expires_at = {leaseUntil}, attempts = o.attempts + 1
                WHERE o.id IN (
                    SELECT c.id FROM billing.meter_event_outbox AS c
                    WHERE c.status = {OutboxStatus.Pending} AND c.next_attempt_at <= {now}
                      AND (c.lease_expires_at IS NULL OR c.lease_expires_at <= {now})
                    ORDER BY c.next_attempt_at, c.id
                    LIMIT {batchSize}
                    FOR UPDATE SKIP LOCKED)
                RETURNING o.id AS "Value"
                """).ToListAsync(cancellationToken).ConfigureAwait(false);
        }

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
