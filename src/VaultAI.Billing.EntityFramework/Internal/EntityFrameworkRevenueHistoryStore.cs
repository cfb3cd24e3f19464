using Microsoft.EntityFrameworkCore;
using VaultAI.Billing.Plans;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary><see cref="IRevenueHistoryStore"/> on EF Core: table <c>mrr_snapshots</c>, keyed by (day, currency).</summary>
internal sealed class EntityFrameworkRevenueHistoryStore(IDbContextFactory<BillingDbContext> contextFactory) : IRevenueHistoryStore
{
    public async Task UpsertAsync(IReadOnlyList<MrrSnapshot> snapshots, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        if (snapshots.Count == 0)
        {
            return;
        }

        var day = snapshots[0].Day;
        if (snapshots.Any(s => s.Day != day))
        {
            throw new ArgumentException("The snapshots must all be of the same day.", nameof(snapshots));
        }

        // Read, then update or add, in one SaveChanges. Another host adding the same (day, currency) in between makes
        // ours a unique violation: the second attempt reads its row and updates it.
        for (var attempt = 1; ; attempt++)
        {
            using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            var existing = await db.MrrSnapshots.Where(s => s.Day == day).ToDictionaryAsync(s => s.Currency, StringComparer.Ordinal, cancellationToken).ConfigureAwait(false);
            foreach (var snapshot in snapshots)
            {
                if (existing.TryGetValue(snapshot.Currency, out var row))
                {
                    db.Entry(row).CurrentValues.SetValues(snapshot);
                }
                else
                {
                    db.MrrSnapshots.Add(snapshot);
                }
            }

            try
            {
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (DbUpdateException exception) when (attempt < 3 && DbErrors.IsUniqueViolation(exception))
            {
            }
        }
    }

    public async Task<IReadOnlyList<MrrSnapshot>> ListAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.MrrSnapshots.AsNoTracking()
            .Where(s => s.Day >= from && s.Day <= to)
            .OrderBy(s => s.Day).ThenBy(s => s.Currency)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
    }
}
