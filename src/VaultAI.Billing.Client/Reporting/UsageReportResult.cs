namespace VaultAI.Billing.Client;

/// <summary>The billing host's acknowledgement of a usage report.</summary>
/// <param name="ReportId">The id the host gave the report; a re-send with the same idempotency key returns the same id.</param>
/// <param name="OrganizationStatus">The organization's status as the host sees it (for example <c>pending</c> or <c>active</c>).</param>
/// <param name="Duplicate"><see langword="true"/> when the host had already received a report with this idempotency key.</param>
public sealed record UsageReportResult(string ReportId, string? OrganizationStatus, bool Duplicate);
