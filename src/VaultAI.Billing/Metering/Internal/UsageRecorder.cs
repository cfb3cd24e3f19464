using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Diagnostics;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Metering.Internal;

/// <summary>
/// Validates a whole batch, drops repeats of an id within it, and hands the rest to the store, which writes the ledger rows
/// and the period totals in one transaction and says which ids were new.
/// </summary>
internal sealed partial class UsageRecorder(
    IBillingStore store,
    IOptionsMonitor<VaultAIBillingOptions> options,
    TimeProvider timeProvider,
    BillingDiagnostics diagnostics,
    ILogger<UsageRecorder> logger) : IUsageRecorder
{
    public const string InProcessSource = "in-process";

    public Task<UsageRecordingResult> RecordAsync(Guid organizationId, UsageEvent usageEvent, CancellationToken cancellationToken = default) =>
        RecordAsync(organizationId, [usageEvent], InProcessSource, cancellationToken);

    public Task<UsageRecordingResult> RecordAsync(Guid organizationId, IReadOnlyList<UsageEvent> events, CancellationToken cancellationToken = default) =>
        RecordAsync(organizationId, events, InProcessSource, cancellationToken);

    /// <summary>Records a batch, naming where it came from (<c>usage-events</c> for the HTTP route).</summary>
    public Task<UsageRecordingResult> RecordAsync(Guid organizationId, IReadOnlyList<UsageEvent> events, string source, CancellationToken cancellationToken) =>
        RecordAsync(organizationId, events, source, null, cancellationToken);

    /// <summary>
    /// Records a batch; with <paramref name="release"/> (a request of <c>RequireEntitlement(..., reserve: true)</c>), gives that
    /// reservation back in the same transaction, so the usage is never counted twice or not at all.
    /// </summary>
    public async Task<UsageRecordingResult> RecordAsync(Guid organizationId, IReadOnlyList<UsageEvent> events, string source, Entitlements.Internal.QuotaReservation? release, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        var settings = options.CurrentValue;
        var now = timeProvider.GetUtcNow();
        UsageEventValidator.ValidateBatch(events, settings, now);
        var records = new List<UsageEventRecord>(events.Count);
        foreach (var e in events)
        {
            records.Add(new UsageEventRecord
            {
                Id = Guid.CreateVersion7(now),
                EventId = e.Id,
                Metric = e.Metric,
                Quantity = e.Quantity,
                OccurredAt = e.Timestamp.ToUniversalTime(),
                ReceivedAt = now,
                Source = source,
                Properties = e.Properties is { ValueKind: System.Text.Json.JsonValueKind.Object } p ? p.GetRawText() : null,
            });
        }

        return await RecordValidatedAsync(organizationId, records, source, release, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records a batch already validated and turned into ledger records (<c>POST /api/usage-events</c> reads its body straight
    /// into them), in the caller's order with repeats of an id included.
    /// </summary>
    public Task<UsageRecordingResult> RecordValidatedAsync(Guid organizationId, List<UsageEventRecord> records, string source, CancellationToken cancellationToken) =>
        RecordValidatedAsync(organizationId, records, source, null, cancellationToken);

    /// <summary>
    /// As above; with <paramref name="release"/> (a request of <c>RequireEntitlement(..., reserve: true)</c>), gives that
    /// reservation back in the same transaction, so the usage is never counted twice or not at all.
    /// </summary>
    public async Task<UsageRecordingResult> RecordValidatedAsync(Guid organizationId, List<UsageEventRecord> records, string source, Entitlements.Internal.QuotaReservation? release, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var now = records.Count > 0 ? records[0].ReceivedAt : timeProvider.GetUtcNow();

        // Only the first occurrence of an id in the batch is written; a later one is a duplicate whatever the ledger says.
        var firstSeen = new HashSet<string>(records.Count, StringComparer.Ordinal);
        bool[]? repeated = null;
        for (var i = 0; i < records.Count; i++)
        {
            records[i].OrganizationId = organizationId;
            if (!firstSeen.Add(records[i].EventId))
            {
                repeated ??= new bool[records.Count];
                repeated[i] = true;
            }
        }

        IReadOnlyList<UsageEventRecord> unique = repeated is null ? records : records.Where((_, i) => !repeated[i]).ToList();

        var aggregations = settings.Metrics.ToDictionary(m => m.Key, m => m.Value.Aggregation, StringComparer.Ordinal);
        // Billed through roll-ups: every metric with a Stripe meter, except the report metric, which keeps its per-report path.
        var billed = settings.Metrics
            .Where(m => !string.IsNullOrEmpty(m.Value.MeterEventName) && !string.Equals(m.Key, settings.ReportMetric, StringComparison.Ordinal))
            .ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
        var rollup = billed.Count == 0 ? null : new UsageRollup(billed, settings.Metering.RollupWindow, settings.Metering.RollupGrace, now);
        var inserted = release is null
            ? await store.AppendUsageEventsAsync(organizationId, unique, aggregations, rollup, cancellationToken).ConfigureAwait(false)
            : await ((Entitlements.Internal.IQuotaReservations)store).AppendUsageEventsAndReleaseAsync(organizationId, unique, aggregations, rollup, release, cancellationToken).ConfigureAwait(false);
        var isNew = inserted is HashSet<string> set && ReferenceEquals(set.Comparer, StringComparer.Ordinal)
            ? set
            : new HashSet<string>(inserted, StringComparer.Ordinal);

        var outcomes = new UsageEventOutcome[records.Count];
        var counts = new Dictionary<(string Metric, bool Duplicate), int>();
        var accepted = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            var duplicate = repeated?[i] == true || !isNew.Contains(record.EventId);
            outcomes[i] = new UsageEventOutcome(record.EventId, duplicate);
            accepted += duplicate ? 0 : 1;
            ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, (record.Metric, duplicate), out _);
            count++;
        }

        foreach (var ((metric, duplicate), count) in counts)
        {
            diagnostics.UsageEvents(duplicate ? "duplicate" : "accepted", metric, count);
        }

        LogRecorded(logger, organizationId, accepted, outcomes.Length - accepted, source);
        return new UsageRecordingResult(accepted, outcomes.Length - accepted, outcomes);
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Usage events for organization {OrganizationId} from {Source}: {Accepted} accepted, {Duplicates} duplicates")]
    private static partial void LogRecorded(ILogger logger, Guid organizationId, int accepted, int duplicates, string source);
}
