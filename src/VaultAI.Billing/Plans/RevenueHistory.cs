using Microsoft.Extensions.Options;
using VaultAI.Billing.Plans.Internal;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Plans;

/// <summary>
/// The MRR over time: records today's <see cref="RevenueSummary"/> figures per currency (a background job does so at
/// start and every hour, so a day keeps its last figures), and reads them back for a range of days.
/// </summary>
/// <remarks>
/// A snapshot's day is the host's day (the library's <see cref="TimeProvider"/>), not Stripe's: the history answers
/// "what did our customers pay a month on that date" in the operator's calendar. In production both clocks agree; a
/// Stripe test clock is attached to single customers (several may run at different times), so there is no one Stripe
/// time to file a day under. In the embedded demo, moving the emulator's clock changes what subscriptions bill, and
/// that shows as today's point moving, not as new days.
/// </remarks>
public sealed class RevenueHistory
{
    /// <summary>The longest range <see cref="GetAsync"/> reads, in days (two years).</summary>
    public const int MaxDays = 731;

    private readonly IBillingStore _store;
    private readonly IRevenueHistoryStore _history;
    private readonly IOptionsMonitor<VaultAIBillingOptions> _options;
    private readonly TimeProvider _timeProvider;

    internal RevenueHistory(IBillingStore store, IRevenueHistoryStore history, IOptionsMonitor<VaultAIBillingOptions> options, TimeProvider timeProvider)
    {
        _store = store;
        _history = history;
        _options = options;
        _timeProvider = timeProvider;
    }

    /// <summary>Today, UTC, on the host's clock: the day <see cref="RecordAsync"/> writes.</summary>
    public DateOnly Today => DateOnly.FromDateTime(_timeProvider.GetUtcNow().UtcDateTime);

    /// <summary>
    /// Computes the MRR now and writes it as today's snapshot, one per currency of the catalog (replacing what an
    /// earlier call wrote today). Calling it again changes only what moved.
    /// </summary>
    /// <param name="cancellationToken">Cancels the computation.</param>
    /// <returns>The snapshots written.</returns>
    public async Task<IReadOnlyList<MrrSnapshot>> RecordAsync(CancellationToken cancellationToken = default)
    {
        var now = _timeProvider.GetUtcNow();
        var summary = await RevenueCalculator.ComputeAsync(_store, _options.CurrentValue.Plans, cancellationToken).ConfigureAwait(false);
        var snapshots = ToSnapshots(summary, DateOnly.FromDateTime(now.UtcDateTime), now);
        if (snapshots.Count > 0)
        {
            await _history.UpsertAsync(snapshots, cancellationToken).ConfigureAwait(false);
        }

        return snapshots;
    }

    /// <summary>
    /// Today's snapshots of figures already computed (for example by <see cref="Subscriptions.SubscriptionLifecycle.GetRevenueAsync"/>),
    /// without writing them: what <see cref="RecordAsync"/> would write for that summary now.
    /// </summary>
    /// <param name="summary">The revenue summary.</param>
    /// <returns>One snapshot per currency, by currency.</returns>
    public IReadOnlyList<MrrSnapshot> SnapshotsOf(RevenueSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var now = _timeProvider.GetUtcNow();
        return ToSnapshots(summary, DateOnly.FromDateTime(now.UtcDateTime), now);
    }

    /// <summary>The snapshots from <paramref name="from"/> to <paramref name="to"/>, both included, by day then currency.</summary>
    /// <param name="from">The first day.</param>
    /// <param name="to">The last day; not before <paramref name="from"/>, at most <see cref="MaxDays"/> days after it.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="BillingException">400 naming <c>from</c> when the range is reversed or longer than <see cref="MaxDays"/>.</exception>
    public Task<IReadOnlyList<MrrSnapshot>> GetAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        if (from > to)
        {
            throw BillingException.Invalid("from", "'from' must be on or before 'to'.");
        }

        if (to.DayNumber - from.DayNumber + 1 > MaxDays)
        {
            throw BillingException.Invalid("from", $"The range from 'from' to 'to' must be at most {MaxDays} days.");
        }

        return _history.ListAsync(from, to, cancellationToken);
    }

    /// <summary>One snapshot per currency: the totals, and the paying and trialing organizations of the currency's plans.</summary>
    internal static List<MrrSnapshot> ToSnapshots(RevenueSummary summary, DateOnly day, DateTimeOffset recordedAt) =>
        summary.Totals
            .Select(total =>
            {
                var plans = summary.Plans.Where(p => p.Currency == total.Currency).ToList();
                return new MrrSnapshot(day, total.Currency, total.Mrr, total.PotentialMrr, plans.Sum(p => p.Organizations), plans.Sum(p => p.TrialOrganizations), recordedAt);
            })
            .OrderBy(s => s.Currency, StringComparer.Ordinal)
            .ToList();
}
