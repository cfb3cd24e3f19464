namespace VaultAI.Billing.Plans;

/// <summary>Keeps the daily MRR snapshots (one row per day and currency). <c>AddEntityFrameworkStore</c> provides one.</summary>
public interface IRevenueHistoryStore
{
    /// <summary>
    /// Writes the snapshots of one day: a (day, currency) row that exists is replaced, one that does not is added.
    /// Safe to call again, from any number of hosts at once.
    /// </summary>
    /// <param name="snapshots">The snapshots, all of the same day.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    Task UpsertAsync(IReadOnlyList<MrrSnapshot> snapshots, CancellationToken cancellationToken = default);

    /// <summary>The snapshots of the days from <paramref name="from"/> to <paramref name="to"/> (both included), by day then currency.</summary>
    /// <param name="from">The first day.</param>
    /// <param name="to">The last day.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    Task<IReadOnlyList<MrrSnapshot>> ListAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken = default);
}
