using System.Net;
using Microsoft.Extensions.Logging;

namespace VaultAI.Billing.Client;

/// <summary>Source-generated log messages. None of them carries the billing token or a raw body.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Registered organization {OrganizationId} with the billing host (status {OrganizationStatus}); a new billing token was stored")]
    public static partial void Registered(ILogger logger, Guid organizationId, string? organizationStatus);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Organization {OrganizationId} is already registered with the billing host and the stored token was accepted")]
    public static partial void AlreadyRegistered(ILogger logger, Guid organizationId);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "The billing host already has organization {OrganizationId} but this instance holds no valid token for it (token lost). An administrator of the billing host must reset the organization's token; usage reports are kept in the spool meanwhile")]
    public static partial void TokenLost(ILogger logger, Guid organizationId);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "The billing host refused the stored billing token of organization {OrganizationId} (HTTP 401). Usage reports stay in the spool and sending is paused until the token is fixed")]
    public static partial void TokenRejected(ILogger logger, Guid organizationId);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Usage report {IdempotencyKey} ({UserCount} users) written to the spool")]
    public static partial void ReportSpooled(ILogger logger, string idempotencyKey, long userCount);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Usage report {IdempotencyKey} acknowledged by the billing host as {ReportId} (duplicate: {Duplicate})")]
    public static partial void ReportSent(ILogger logger, string idempotencyKey, string reportId, bool duplicate);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "Usage report {IdempotencyKey} was rejected by the billing host (HTTP {StatusCode}, code {ProblemCode}); it was moved to {RejectedPath} and will not be sent again")]
    public static partial void ReportRejected(ILogger logger, string idempotencyKey, int statusCode, string? problemCode, string rejectedPath);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "The billing host could not be reached or failed; {PendingCount} usage report(s) stay in the spool, next attempt at {RetryAt:o}")]
    public static partial void SpoolDeliveryFailed(ILogger logger, int pendingCount, DateTimeOffset retryAt);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "The billing host could not be reached; serving the organization status retrieved at {RetrievedAt:o} (stale)")]
    public static partial void StatusServedStale(ILogger logger, DateTimeOffset retrievedAt, Exception exception);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Billing host request {Method} {Path} failed ({Outcome}); retry {Attempt} in {Delay}")]
    public static partial void RetryingRequest(ILogger logger, string method, string? path, string outcome, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Circuit to the billing host opened for {BreakDuration} after repeated failures")]
    public static partial void CircuitOpened(ILogger logger, TimeSpan breakDuration);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Circuit to the billing host closed")]
    public static partial void CircuitClosed(ILogger logger);

    [LoggerMessage(EventId = 13, Level = LogLevel.Error, Message = "Counting active users for the report of {ReportDay} failed; retrying at {RetryAt:o}")]
    public static partial void CollectFailed(ILogger logger, DateOnly reportDay, DateTimeOffset retryAt, Exception exception);

    [LoggerMessage(EventId = 14, Level = LogLevel.Debug, Message = "Next usage report for {ReportDay} scheduled at {RunAt:o}")]
    public static partial void NextRunScheduled(ILogger logger, DateOnly reportDay, DateTimeOffset runAt);

    [LoggerMessage(EventId = 15, Level = LogLevel.Error, Message = "Spool file {Path} could not be read and was moved aside to {RejectedPath}")]
    public static partial void SpoolEntryUnreadable(ILogger logger, string path, string rejectedPath, Exception exception);

    [LoggerMessage(EventId = 16, Level = LogLevel.Debug, Message = "Usage report {IdempotencyKey} is already in the spool; not counted again")]
    public static partial void ReportAlreadySpooled(ILogger logger, string idempotencyKey);

    [LoggerMessage(EventId = 17, Level = LogLevel.Warning, Message = "Sending the usage spool is paused: {Reason}; next check at {RetryAt:o}")]
    public static partial void SpoolPaused(ILogger logger, string reason, DateTimeOffset retryAt);

    [LoggerMessage(EventId = 26, Level = LogLevel.Information, Message = "No IActiveUserCounter is registered: the daily active-user report is off; usage recorded with RecordUsageAsync is sent as usual")]
    public static partial void DailyReportOff(ILogger logger);

    [LoggerMessage(EventId = 18, Level = LogLevel.Error, Message = "The daily usage reporter failed unexpectedly; it retries at {RetryAt:o}")]
    public static partial void ReporterLoopFailed(ILogger logger, DateTimeOffset retryAt, Exception exception);

    [LoggerMessage(EventId = 19, Level = LogLevel.Error, Message = "The billing host refused the request {Method} {Path} with HTTP {StatusCode} ({ProblemCode})")]
    public static partial void RequestRefused(ILogger logger, string method, string? path, HttpStatusCode statusCode, string? problemCode);

    [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "Usage event {EventId} ({Metric}) written to the spool")]
    public static partial void UsageEventSpooled(ILogger logger, string eventId, string metric);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "Usage events acknowledged by the billing host: {Accepted} accepted, {Duplicates} duplicate(s); {Unanswered} not answered stay in the spool")]
    public static partial void UsageEventsSent(ILogger logger, int accepted, int duplicates, int unanswered);

    [LoggerMessage(EventId = 22, Level = LogLevel.Error, Message = "Usage event {EventId} ({Metric}) was rejected by the billing host (HTTP {StatusCode}, code {ProblemCode}, field {Field}); it was moved to {RejectedPath} and will not be sent again")]
    public static partial void UsageEventRejected(ILogger logger, string eventId, string metric, int statusCode, string? problemCode, string? field, string rejectedPath);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "Sending usage events stopped (host unreachable or failing, or the token is lost or refused); {PendingCount} event(s) stay in the spool")]
    public static partial void UsageFlushStopped(ILogger logger, int pendingCount);

    [LoggerMessage(EventId = 24, Level = LogLevel.Error, Message = "The usage event sender failed unexpectedly; it tries again later")]
    public static partial void UsageFlushLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 25, Level = LogLevel.Warning, Message = "The billing host could not be reached; serving the usage retrieved at {RetrievedAt:o} (stale)")]
    public static partial void UsageServedStale(ILogger logger, DateTimeOffset retrievedAt, Exception exception);
}
