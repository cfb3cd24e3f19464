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

        var firstSeen = new HashSet<string>(StringComparer.Ordinal);
        var records = new List<UsageEventRecord>(events.Count);
        foreach (var e in events)
        {
            if (firstSeen.Add(e.Id))
            {
                records.Add(new UsageEventRecord
                {
                    Id = Guid.CreateVersion7(now),
                    OrganizationId = organizationId,
                    EventId = e.Id,
                    Metric = e.Metric,
                    Quantity = e.Quantity,
                    OccurredAt = e.Timestamp.ToUniversalTime(),
                    ReceivedAt = now,
                    Source = source,
                    Properties = e.Properties is { ValueKind: System.Text.Json.JsonValueKind.Object } p ? p.GetRawText() : null,
                });
            }
        }

        var aggregations = settings.Metrics.ToDictionary(m => m.Key, m => m.Value.Aggregation, StringComparer.Ordinal);
        // Billed through roll-ups: every metric with a Stripe meter, except the report metric, which keeps its per-report path.
        var billed = settings.Metrics
            .Where(m => !string.IsNullOrEmpty(m.Value.MeterEventName) && !string.Equals(m.Key, settings.ReportMetric, StringComparison.Ordinal))
            .ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
        var rollup = billed.Count == 0 ? null : new UsageRollup(billed, settings.Metering.RollupWindow, settings.Metering.RollupGrace, now);
        var inserted = release is null
            ? await store.AppendUsageEventsAsync(organizationId, records, aggregations, rollup, cancellationToken).ConfigureAwait(false)
            : await ((Entitlements.Internal.IQuotaReservations)store).AppendUsageEventsAndReleaseAsync(organizationId, records, aggregations, rollup, release, cancellationToken).ConfigureAwait(false);

        // Only the first occurrence of a new id is accepted; every other occurrence is a duplicate.
        var pending = new HashSet<string>(inserted, StringComparer.Ordinal);
        var outcomes = new List<UsageEventOutcome>(events.Count);
        foreach (var e in events)
        {
            outcomes.Add(new UsageEventOutcome(e.Id, Duplicate: !pending.Remove(e.Id)));
        }

        var accepted = outcomes.Count(o => !o.Duplicate);
        foreach (var group in events.Zip(outcomes).GroupBy(p => (p.First.Metric, p.Second.Duplicate)))
        {
            diagnostics.UsageEvents(group.Key.Duplicate ? "duplicate" : "accepted", group.Key.Metric, group.Count());
        }

        LogRecorded(logger, organizationId, accepted, outcomes.Count - accepted, source);
        return new UsageRecordingResult(accepted, outcomes.Count - accepted, outcomes);
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Usage events for organization {OrganizationId} from {Source}: {Accepted} accepted, {Duplicates} duplicates")]
    private static partial void LogRecorded(ILogger logger, Guid organizationId, int accepted, int duplicates, string source);
}
