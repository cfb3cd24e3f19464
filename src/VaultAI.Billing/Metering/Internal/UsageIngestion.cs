using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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

    public async Task<IngestResult> IngestAsync(IncomingReport incoming, CancellationToken cancellationToken)
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
        // One store call: the report, its ledger event, its period total and its outbox row are written together.
        var result = await store.IngestUsageAsync(report, incoming.OrganizationName, incoming.InstanceUrl, aggregation, planner.Plan, cancellationToken).ConfigureAwait(false);
        if (result.Duplicate)
        {
            diagnostics.ReportDuplicate();
            LogDuplicate(logger, incoming.OrganizationId, result.Report.Id);
        }
        else
        {
            diagnostics.ReportAccepted();
            LogAccepted(logger, incoming.OrganizationId, result.Report.Id, result.Report.Quantity, result.Outbox is not null);
        }

        return result;
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
