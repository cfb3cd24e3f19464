using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Credentials.Internal;

/// <summary>
/// A store that checks a report's token inside the write of the report, so the first report of a token this host has not
/// cached costs one round trip, like a later one, instead of a credential read followed by the write. Optional: a store
/// without it is asked for the credential first (<see cref="IBillingStore.FindActiveCredentialAsync"/>).
/// </summary>
internal interface IFirstReportStore
{
    /// <summary>
    /// <see cref="IBillingStore.IngestUsageAsync"/>, written only when <paramref name="tokenHash"/> is the hash of an active
    /// (not revoked) credential of the report's organization. Nothing is written otherwise.
    /// </summary>
    /// <param name="tokenHash">The SHA-256 of the bearer token, lowercase hex.</param>
    /// <param name="report">The report to store (its id is used only if it is new).</param>
    /// <param name="reportedName">The name the instance reported, if any.</param>
    /// <param name="reportedUrl">The instance URL reported, if any.</param>
    /// <param name="aggregation">The aggregation of the report's metric, for its period total.</param>
    /// <param name="createOutbox">As for <see cref="IBillingStore.IngestUsageAsync"/>; may run more than once.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    Task<FirstReportOutcome> IngestUsageWithTokenAsync(
        string tokenHash,
        UsageReport report,
        string? reportedName,
        string? reportedUrl,
        MetricAggregation aggregation,
        Func<Organization, UsageReport, MeterEventOutboxMessage?> createOutbox,
        CancellationToken cancellationToken);
}

/// <summary>The result of <see cref="IFirstReportStore.IngestUsageWithTokenAsync"/>.</summary>
/// <param name="Credential">The active credential of the token; <see langword="null"/> when unknown or revoked (nothing written).</param>
/// <param name="Result">
/// What was stored; <see langword="null"/> when nothing was, because there is no active credential or it belongs to another
/// organization.
/// </param>
internal sealed record FirstReportOutcome(InstanceCredential? Credential, IngestResult? Result);
