namespace VaultAI.Billing.Client;

/// <summary>One usage report as kept in the spool until the billing host acknowledges it.</summary>
internal sealed record SpooledReport(
    string IdempotencyKey,
    string Metric,
    DateOnly ReportDay,
    Guid OrganizationId,
    string OrganizationName,
    string InstanceUrl,
    long UserCount,
    DateTimeOffset Timestamp,
    DateTimeOffset SpooledAt)
{
    public UsageReportRequest ToWire() =>
        new(OrganizationId, OrganizationName, InstanceUrl, UserCount, WireJson.FormatTimestamp(Timestamp));
}
