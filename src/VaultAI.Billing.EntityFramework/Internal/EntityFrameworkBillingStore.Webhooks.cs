using Microsoft.EntityFrameworkCore;
using VaultAI.Billing.Webhooks;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>The webhook inbox and the invoice mirror.</summary>
internal sealed partial class EntityFrameworkBillingStore
{
    public async Task<bool> TryInsertWebhookEventAsync(WebhookInboxEvent webhookEvent, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);

        // A redelivery, or the same event at two hosts, is normal traffic: the insert must not fail on the key, since EF
        // Core logs every failed command at Error level and operators would see errors for nothing.
        if (!db.IsSqlite)
        {
            var e = webhookEvent;
            var inserted = await db.Database.ExecuteSqlAsync(
                $"""
                INSERT INTO billing.webhook_events (id, type, created, api_version, received_at, processed_at, status, attempts, last_error, next_attempt_at, payload)
                VALUES ({e.Id}, {e.Type}, {e.Created.ToUniversalTime()}, {e.ApiVersion}, {e.ReceivedAt.ToUniversalTime()}, {e.ProcessedAt?.ToUniversalTime()},
                        {e.Status}, {e.Attempts}, {e.LastError}, {e.NextAttemptAt?.ToUniversalTime()}, {e.Payload})
                ON CONFLICT (id) DO NOTHING
                """,
                cancellationToken).ConfigureAwait(false);
            return inserted == 1;
        }

        // SQLite (the demo, one process): the process-wide writer gate makes look-then-insert atomic. Not INSERT OR IGNORE:
        // the SQLite model stores DateTimeOffset through a value converter that raw SQL would bypass.
        using var gate = await RowLocks.EnterAsync(db, cancellationToken).ConfigureAwait(false);
        if (await db.WebhookEvents.AnyAsync(x => x.Id == webhookEvent.Id, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        db.WebhookEvents.Add(webhookEvent);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task<WebhookInboxEvent?> GetWebhookEventAsync(string eventId, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.WebhookEvents.AsNoTracking().FirstOrDefaultAsync(e => e.Id == eventId, cancellationToken).ConfigureAwait(false);
    }

    public async Task CompleteWebhookEventAsync(string eventId, string status, string? error, DateTimeOffset at, DateTimeOffset? nextAttemptAt, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        // Cut at the column's length without splitting a surrogate pair (PostgreSQL refuses a lone surrogate).
        var message = error is { Length: > 2000 } ? error[..(char.IsHighSurrogate(error[1999]) ? 1999 : 2000)] : error;
        await db.WebhookEvents.Where(e => e.Id == eventId).ExecuteUpdateAsync(
            s => s.SetProperty(e => e.Status, status)
                .SetProperty(e => e.LastError, message)
                .SetProperty(e => e.ProcessedAt, at)
                .SetProperty(e => e.NextAttemptAt, nextAttemptAt)
                .SetProperty(e => e.Attempts, e => e.Attempts + 1),
            cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<WebhookInboxEvent>> ListWebhookEventsAsync(string? status, int take, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var rows = db.WebhookEvents.AsNoTracking();
        if (status is not null)
        {
            rows = rows.Where(e => e.Status == status);
        }

        return await rows.OrderByDescending(e => e.ReceivedAt).ThenByDescending(e => e.Id).Take(take)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<WebhookInboxEvent>> ListDueWebhookRetriesAsync(DateTimeOffset now, int take, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        // A 'received' row younger than a minute is probably being processed by its request right now.
        var abandoned = now - TimeSpan.FromMinutes(1);
        return await db.WebhookEvents.AsNoTracking()
            .Where(e => (e.Status == WebhookEventStatus.Failed && (e.NextAttemptAt == null || e.NextAttemptAt <= now))
                || (e.Status == WebhookEventStatus.Received && e.ReceivedAt <= abandoned))
            .OrderBy(e => e.Created).ThenBy(e => e.Id).Take(take)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyDictionary<string, int>> CountWebhookEventsAsync(CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var counts = await db.WebhookEvents.GroupBy(e => e.Status).Select(g => new { g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            [WebhookEventStatus.Received] = 0,
            [WebhookEventStatus.Processed] = 0,
            [WebhookEventStatus.Ignored] = 0,
            [WebhookEventStatus.Failed] = 0,
            [WebhookEventStatus.Parked] = 0,
        };
        foreach (var row in counts)
        {
            result[row.Key] = row.Count;
        }

        return result;
    }

    public async Task UpsertInvoiceAsync(InvoiceRecord invoice, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            var existing = await db.Invoices.FirstOrDefaultAsync(i => i.Id == invoice.Id, cancellationToken).ConfigureAwait(false);
            if (existing is null)
            {
                db.Invoices.Add(invoice);
            }
            else if (existing.LastEventAt > invoice.LastEventAt)
            {
                return; // a newer event already wrote this invoice
            }
            else
            {
                db.Entry(existing).CurrentValues.SetValues(invoice);
            }

            try
            {
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (DbUpdateException exception) when (attempt < 3 && DbErrors.IsUniqueViolation(exception))
            {
                // Two events for a new invoice at once: the second becomes an update.
            }
        }
    }

    public async Task<IReadOnlyList<InvoiceRecord>> ListInvoicesAsync(Guid organizationId, int take, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.Invoices.AsNoTracking().Where(i => i.OrganizationId == organizationId)
            .OrderByDescending(i => i.PeriodStart).ThenByDescending(i => i.Id).Take(take)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
    }
}
