using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using VaultAI.Billing.Events;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary><see cref="IBillingEventStore"/> on EF Core: events are only ever inserted; deliveries are claimed under a lease.</summary>
internal sealed class EntityFrameworkBillingEventStore(IDbContextFactory<BillingDbContext> contextFactory) : IBillingEventStore
{
    private static readonly DateTimeOffsetToBinaryConverter SqliteTime = new();

    public async Task<bool> AppendAsync(BillingEvent billingEvent, IReadOnlyList<BillingEventDelivery> deliveries, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        // One SaveChanges is one transaction: the event and its outbox rows are written together or not at all.
        db.BillingEvents.Add(billingEvent);
        db.BillingEventDeliveries.AddRange(deliveries);
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DbUpdateException exception) when (billingEvent.DeduplicationKey is not null && DbErrors.IsUniqueViolation(exception))
        {
            return false;
        }
    }

    public async Task<BillingEventPage> QueryAsync(BillingEventQuery query, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var events = db.BillingEvents.AsNoTracking();
        if (query.OrganizationId is { } organizationId)
        {
            events = events.Where(e => e.OrganizationId == organizationId);
        }

        if (query.Type is { } type)
        {
            events = events.Where(e => e.Type == type);
        }

        var matching = await events.CountAsync(cancellationToken).ConfigureAwait(false);
        var items = await events.OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id)
            .Skip(query.Skip).Take(query.Take).ToListAsync(cancellationToken).ConfigureAwait(false);
        return new BillingEventPage(items, matching);
    }

    public async Task<IReadOnlyList<(BillingEventDelivery Delivery, BillingEvent Event)>> ClaimDeliveriesAsync(string owner, DateTimeOffset now, DateTimeOffset leaseUntil, int take, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var ids = await ClaimIdsAsync(db, owner, now, leaseUntil, take, cancellationToken).ConfigureAwait(false);
        if (ids.Count == 0)
        {
            return [];
        }

        var rows = await (from d in db.BillingEventDeliveries.AsNoTracking()
                          join e in db.BillingEvents.AsNoTracking() on d.EventId equals e.Id
                          where ids.Contains(d.Id)
                          select new { d, e }).ToListAsync(cancellationToken).ConfigureAwait(false);
        return rows.OrderBy(r => r.e.OccurredAt).ThenBy(r => r.e.Id).Select(r => (r.d, r.e)).ToList();
    }

    public async Task<bool> CompleteDeliveryAsync(Guid deliveryId, string owner, string status, DateTimeOffset at, DateTimeOffset? nextAttemptAt, string? error, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var row = db.BillingEventDeliveries.Where(d => d.Id == deliveryId && d.LeaseOwner == owner && d.Status == BillingEventDeliveryStatus.Pending);
        var changed = await row.ExecuteUpdateAsync(
            s => s.SetProperty(d => d.Status, status)
                .SetProperty(d => d.DeliveredAt, status == BillingEventDeliveryStatus.Delivered ? at : null)
                .SetProperty(d => d.NextAttemptAt, d => nextAttemptAt ?? d.NextAttemptAt)
                .SetProperty(d => d.LastError, error)
                .SetProperty(d => d.LeaseOwner, (string?)null)
                .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null),
            cancellationToken).ConfigureAwait(false);
        return changed == 1;
    }

    public async Task<IReadOnlyDictionary<string, int>> CountDeliveriesAsync(CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.BillingEventDeliveries.GroupBy(d => d.Status).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Key, g => g.Count, StringComparer.Ordinal, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Claims due rows: <c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL; serialised in the process on SQLite (the single-process demo).</summary>
    private static async Task<List<Guid>> ClaimIdsAsync(BillingDbContext db, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, int take, CancellationToken cancellationToken)
    {
        if (!db.IsSqlite)
        {
            return await db.Database.SqlQuery<Guid>($"""
                UPDATE billing.billing_event_deliveries AS o
                SET lease_owner = {owner}, lease_until = {leaseUntil}, attempts = o.attempts + 1
                WHERE o.id IN (
                    SELECT c.id FROM billing.billing_event_deliveries AS c
                    WHERE c.status = {BillingEventDeliveryStatus.Pending} AND c.next_attempt_at <= {now}
                      AND (c.lease_until IS NULL OR c.lease_until <= {now})
                    ORDER BY c.next_attempt_at, c.id
                    LIMIT {take}
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
                UPDATE billing_event_deliveries
                SET lease_owner = {owner}, lease_until = {untilValue}, attempts = attempts + 1
                WHERE id IN (
                    SELECT c.id FROM billing_event_deliveries AS c
                    WHERE c.status = {BillingEventDeliveryStatus.Pending} AND c.next_attempt_at <= {nowValue}
                      AND (c.lease_until IS NULL OR c.lease_until <= {nowValue})
                    ORDER BY c.next_attempt_at, c.id
                    LIMIT {take})
                RETURNING id AS "Value"
                """).ToListAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            RowLocks.SqliteWriter.Release();
        }
    }
}
