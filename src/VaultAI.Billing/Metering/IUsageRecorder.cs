namespace VaultAI.Billing.Metering;

/// <summary>
/// Records usage from inside the host (for usage the server itself produces). The HTTP route
/// <c>POST /api/usage-events</c> uses it too, so both follow the same rules: the whole batch is validated before anything
/// is written (one bad event throws a 400 <see cref="BillingException"/> naming the field, for example
/// <c>events[3].quantity</c>, and nothing is stored), an id seen before is a duplicate, and every accepted event updates its
/// period total in the same transaction.
/// </summary>
public interface IUsageRecorder
{
    /// <summary>Records one event for an organization.</summary>
    /// <param name="organizationId">The organization; it must exist (404 <c>organization_not_found</c> otherwise).</param>
    /// <param name="usageEvent">The event.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether it was accepted or a duplicate.</returns>
    Task<UsageRecordingResult> RecordAsync(Guid organizationId, UsageEvent usageEvent, CancellationToken cancellationToken = default);

    /// <summary>Records a batch of events for an organization, all or nothing.</summary>
    /// <param name="organizationId">The organization; it must exist (404 <c>organization_not_found</c> otherwise).</param>
    /// <param name="events">The events, at most <see cref="UsageEventsOptions.MaxEventsPerBatch"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>One outcome per event, in order.</returns>
    Task<UsageRecordingResult> RecordAsync(Guid organizationId, IReadOnlyList<UsageEvent> events, CancellationToken cancellationToken = default);
}
