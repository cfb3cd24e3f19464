namespace VaultAI.Billing.Client;

/// <summary>One usage report: a quantity of the configured metric observed at a point in time.</summary>
/// <param name="UserCount">The number of active users (zero or more).</param>
/// <param name="Timestamp">When the count was taken.</param>
public sealed record UsageReport(long UserCount, DateTimeOffset Timestamp);
