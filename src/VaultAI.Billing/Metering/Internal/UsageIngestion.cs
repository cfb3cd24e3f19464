using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Credentials.Internal;
using VaultAI.Billing.Diagnostics;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Metering.Internal;

/// <summary>A usage report as an instance sent it, already validated field by field.</summary>
internal sealed record IncomingReport(
    Guid OrganizationId,
    long Quantity,
    DateTimeOffset OccurredAt,
    string? IdempotencyKey,
    string Source,
    string? OrganizationName = null,
    string? InstanceUrl = null,
    string? DeploymentType = null);

/// <summary>A report checked and ready for the store.</summary>
/// <param name="Report">The row to store.</param>
/// <param name="Aggregation">The aggregation of its metric.</param>
/// <param name="OrganizationName">The name the instance reported, if any.</param>
/// <param name="InstanceUrl">The instance URL reported, if any.</param>
internal sealed record PreparedReport(UsageReport Report, MetricAggregation Aggregation, string? OrganizationName, string? InstanceUrl);

/// <summary>Stores usage reports once and queues them for Stripe.</summary>
internal sealed partial class UsageIngestion(
    IBillingStore store,
    OutboxPlanner planner,
    IOptionsMonitor<VaultAIBillingOptions> options,
    TimeProvider timeProvider,
    BillingDiagnostics diagnostics,
    ILogger<UsageIngestion> logger)
{
    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Checks the report (400 when it cannot be stored) and builds the row to store; writes nothing.</summary>
    public PreparedReport Prepare(IncomingReport incoming)
    {
        var now = timeProvider.GetUtcNow();
        if (incoming.OccurredAt > now + MaxClockSkew)
        {
            throw BillingException.Invalid("timestamp", "'timestamp' is more than 5 minutes in the future; check the instance's clock.", "timestamp_in_future");
        }

        var metric = options.CurrentValue.ReportMetric;
        var report = new UsageReport
        {
            Id = Guid.CreateVersion7(now),
            OrganizationId = incoming.OrganizationId,
            Metric = metric,
            Quantity = incoming.Quantity,
            OccurredAt = incoming.OccurredAt,
            ReceivedAt = now,
            IdempotencyKey = incoming.IdempotencyKey ?? DeriveKey(incoming, metric),
            Source = incoming.Source,
            ReportedDeploymentType = incoming.DeploymentType,
        };

        var aggregation = options.CurrentValue.Metrics.TryGetValue(metric, out var definition) ? definition.Aggregation : MetricAggregation.Last;
        return new PreparedReport(report, aggregation, incoming.OrganizationName, incoming.InstanceUrl);
    }

    /// <summary>Stores a prepared report of an authenticated caller.</summary>
    public async Task<IngestResult> IngestAsync(PreparedReport prepared, CancellationToken cancellationToken)
    {
        // One store call: the report, its ledger event, its period total and its outbox row are written together.
        var result = await store.IngestUsageAsync(prepared.Report, prepared.OrganizationName, prepared.InstanceUrl, prepared.Aggregation, planner.Plan, cancellationToken).ConfigureAwait(false);
        Recorded(result);
        return result;
    }

    /// <summary>
    /// Stores a prepared report whose token this host has not verified yet: the store checks the token in the same write
    /// and writes nothing unless it is an active credential of the report's organization.
    /// </summary>
    public async Task<FirstReportOutcome> IngestWithTokenAsync(PreparedReport prepared, string tokenHash, IFirstReportStore firstReports, CancellationToken cancellationToken)
    {
        var outcome = await firstReports.IngestUsageWithTokenAsync(
            tokenHash, prepared.Report, prepared.OrganizationName, prepared.InstanceUrl, prepared.Aggregation, planner.Plan, cancellationToken).ConfigureAwait(false);
        if (outcome.Result is { } result)
        {
            Recorded(result);
        }

        return outcome;
    }

    private void Recorded(IngestResult result)
    {
        if (result.Duplicate)
        {
            diagnostics.ReportDuplicate();
            LogDuplicate(logger, result.Report.OrganizationId, result.Report.Id);
        }
        else
        {
            diagnostics.ReportAccepted();
            LogAccepted(logger, result.Report.OrganizationId, result.Report.Id, result.Report.Quantity, result.Outbox is not null);
        }
    }

    /// <summary>The ledger event id of a seeds' report.</summary>
    internal static string LedgerEventId(Guid reportId) => $"usage-report:{reportId:N}";

    /// <summary>Without an <c>Idempotency-Key</c>, the same content is the same report.</summary>
    internal static string DeriveKey(IncomingReport report, string metric)
    {
        var content = string.Create(CultureInfo.InvariantCulture, $"{report.OrganizationId:N}|{metric}|{report.OccurredAt.UtcTicks}|{report.Quantity}");
        return "content-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Usage report {ReportId} accepted for organization {OrganizationId}: quantity {Quantity}, queued for Stripe: {Queued}")]
    private static partial void LogAccepted(ILogger logger, Guid organizationId, Guid reportId, long quantity, bool queued);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Duplicate usage report for organization {OrganizationId}: answered with the original report {ReportId}")]
    private static partial void LogDuplicate(ILogger logger, Guid organizationId, Guid reportId);
}
