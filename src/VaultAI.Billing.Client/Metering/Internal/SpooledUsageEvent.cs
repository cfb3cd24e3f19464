namespace VaultAI.Billing.Client;

/// <summary>One usage event as kept in the spool until the billing host acknowledged it (quantity as an exact JSON number).</summary>
internal sealed record SpooledUsageEvent(string Id, string Metric, decimal Quantity, DateTimeOffset Timestamp, DateTimeOffset SpooledAt)
{
    public UsageEventWire ToWire() => new(Id, Metric, Quantity, UsageEventSpool.FormatTimestamp(Timestamp));
}

internal sealed record UsageEventWire(string Id, string Metric, decimal Quantity, string Timestamp);

internal sealed record UsageEventsRequest(IReadOnlyList<UsageEventWire> Events);

internal sealed record UsageEventStatusWire(string? Id, string? Status);

internal sealed record UsageEventsResponse(int Accepted, int Duplicates, IReadOnlyList<UsageEventStatusWire>? Events);

internal sealed record UsagePeriodWire(DateTimeOffset Start, DateTimeOffset End);

internal sealed record MetricUsageWire(string? Metric, string? Unit, decimal Current, decimal? Included, decimal? Limit, decimal? Percentage, bool Unlimited);

internal sealed record UsageResponseWire(Guid OrganizationId, UsagePeriodWire? Period, string? Plan, IReadOnlyList<MetricUsageWire>? Usage);
