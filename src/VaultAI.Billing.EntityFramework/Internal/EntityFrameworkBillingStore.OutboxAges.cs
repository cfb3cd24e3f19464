using Microsoft.EntityFrameworkCore;
using VaultAI.Billing.Diagnostics;
using VaultAI.Billing.Events;
using VaultAI.Billing.Metering;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>The outbox age gauges' read: two small queries on the (status, next attempt) indexes.</summary>
internal sealed partial class EntityFrameworkBillingStore : IOutboxAgeReads
{
    public async Task<OldestPending> ReadOldestPendingAsync(CancellationToken cancellationToken)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var meterEvent = await db.MeterEventOutbox.AsNoTracking()
            .Where(m => m.Status == OutboxStatus.Pending)
            .OrderBy(m => m.CreatedAt)
            .Select(m => (DateTimeOffset?)m.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        var delivery = await db.BillingEventDeliveries.AsNoTracking()
            .Where(d => d.Status == BillingEventDeliveryStatus.Pending)
            .Join(db.BillingEvents, d => d.EventId, e => e.Id, (_, e) => e.OccurredAt)
            .OrderBy(occurredAt => occurredAt)
            .Select(occurredAt => (DateTimeOffset?)occurredAt)
            .FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return new OldestPending(meterEvent, delivery);
    }
}
