using Microsoft.Extensions.Logging;

namespace VaultAI.Billing.Events.Internal;

/// <summary>Recording where the caller's own work is already committed and must not be answered as failed because of the log.</summary>
internal static partial class BestEffortRecording
{
    /// <summary>Records the event; a failure (the database went away) is logged, not thrown.</summary>
    public static async Task RecordBestEffortAsync(this IBillingEventLog log, BillingEventEntry entry, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await log.RecordAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogNotRecorded(logger, exception, entry.Type, entry.OrganizationId);
        }
    }

    [LoggerMessage(EventId = 1605, Level = LogLevel.Error, Message = "Billing event {Type} of organization {OrganizationId} could not be recorded")]
    private static partial void LogNotRecorded(ILogger logger, Exception exception, string type, Guid? organizationId);
}
