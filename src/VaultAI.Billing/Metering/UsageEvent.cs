using System.Text.Json;

namespace VaultAI.Billing.Metering;

/// <summary>One usage event to record: what happened, how much, and when.</summary>
/// <param name="Id">
/// The idempotency key, unique per organization (1 to 255 characters). Recording an id seen before answers it as a
/// duplicate and never counts it twice.
/// </param>
/// <param name="Metric">A key of the metric catalog (<c>VaultAI:Billing:Metrics</c>), for example <c>storage_gb</c>.</param>
/// <param name="Quantity">The quantity, at least 0, with at most the metric's <see cref="MetricDefinition.Decimals"/> decimal places.</param>
/// <param name="Timestamp">When the usage happened; at most 5 minutes ahead of the billing service's clock.</param>
/// <param name="Properties">An optional JSON object kept with the event (at most 2 KiB), for example <c>{"region":"eu"}</c>.</param>
public sealed record UsageEvent(string Id, string Metric, decimal Quantity, DateTimeOffset Timestamp, JsonElement? Properties = null);

/// <summary>What became of one event of a batch.</summary>
/// <param name="Id">The event id.</param>
/// <param name="Duplicate">Whether the id had been recorded before (earlier, or earlier in the same batch); a duplicate is not counted again.</param>
public sealed record UsageEventOutcome(string Id, bool Duplicate);

/// <summary>The result of recording a batch: every event is either accepted or a duplicate.</summary>
/// <param name="Accepted">Events stored and counted now.</param>
/// <param name="Duplicates">Events whose id had been seen before.</param>
/// <param name="Events">One outcome per event, in the order given.</param>
public sealed record UsageRecordingResult(int Accepted, int Duplicates, IReadOnlyList<UsageEventOutcome> Events);
