using VaultAI.Billing.Credentials;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Webhooks;

namespace VaultAI.Billing.Storage;

/// <summary>
/// What the billing service needs from its database. Each method is one business operation and one
/// transaction, so the guarantees (a report and its outbox row together, a link written whole) live in
/// one place. <c>VaultAI.Billing.EntityFramework</c> implements it on PostgreSQL and SQLite.
/// </summary>
public interface IBillingStore
{
    /// <summary>Reads one organization.</summary>
    Task<Organization?> GetOrganizationAsync(Guid organizationId, CancellationToken cancellationToken = default);

    /// <summary>Reads the organization linked to a Stripe customer or subscription.</summary>
    Task<Organization?> FindOrganizationByStripeAsync(string? customerId, string? subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>Creates an organization with its first credential; <see langword="false"/> when the id exists.</summary>
    Task<bool> TryCreateOrganizationAsync(Organization organization, InstanceCredential credential, CancellationToken cancellationToken = default);

    /// <summary>Finds the active (not revoked) credential with this token hash.</summary>
    Task<InstanceCredential?> FindActiveCredentialAsync(string tokenHash, CancellationToken cancellationToken = default);

    /// <summary>Revokes the organization's active credentials and, when given, adds a new one, in one transaction.</summary>
    Task ReplaceCredentialAsync(Guid organizationId, InstanceCredential? replacement, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Records that a credential was used (best effort, may be coarse).</summary>
    Task TouchCredentialAsync(Guid credentialId, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records that several credentials were used by <paramref name="now"/>, in one write where the store can; "last used"
    /// never moves back. The default calls <see cref="TouchCredentialAsync"/> for each.
    /// </summary>
    async Task TouchCredentialsAsync(IReadOnlyCollection<Guid> credentialIds, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credentialIds);
        foreach (var id in credentialIds)
        {
            await TouchCredentialAsync(id, now, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stores a usage report once per (organization, idempotency key) and, in the same transaction, its usage ledger event
    /// (event id <c>usage-report:{report id}</c>), the period total it adds to, and the outbox row that
    /// <paramref name="createOutbox"/> returns. The organization's last-seen fields (last report, count, name, URL) follow,
    /// newest report wins, possibly a moment later and without serializing reports of one organization. A duplicate whose
    /// ledger event is missing (stored by an older version) has it completed.
    /// </summary>
    /// <param name="report">The report to store (its id is used only if it is new).</param>
    /// <param name="reportedName">The name the instance reported, if any.</param>
    /// <param name="reportedUrl">The instance URL reported, if any.</param>
    /// <param name="aggregation">The aggregation of the report's metric, for its period total.</param>
    /// <param name="createOutbox">
    /// Decides, from the organization as the transaction sees it, the outbox row (or none) and annotates the report. May run
    /// more than once: the store runs it again when the organization changed (a link, a plan change) before the write.
    /// </param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored report (the original one for a duplicate) and whether it was a duplicate.</returns>
    Task<IngestResult> IngestUsageAsync(
        UsageReport report,
        string? reportedName,
        string? reportedUrl,
        MetricAggregation aggregation,
        Func<Organization, UsageReport, MeterEventOutboxMessage?> createOutbox,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends usage events to the ledger, once per (organization, event id), and in the same transaction updates the total of
    /// each (organization, metric, period) the new events fall in, according to the metric's aggregation. The period of each
    /// event is <see cref="UsagePeriod.For"/> of the organization as read in the transaction. Safe under concurrent writers:
    /// totals are updated atomically in the database, never read, changed and written back.
    /// </summary>
    /// <param name="organizationId">The organization; 404 <see cref="BillingException"/> when it does not exist.</param>
    /// <param name="events">The events, with distinct event ids.</param>
    /// <param name="aggregations">The aggregation of every metric named by the events.</param>
    /// <param name="rollup">
    /// When given, and the organization is linked and not canceled, the same transaction also brings the outbox row of every
    /// (metric, window) the new events fall in up to date (see <see cref="UsageRollup"/>).
    /// </param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The event ids that were new (the others had been recorded before).</returns>
    Task<IReadOnlyCollection<string>> AppendUsageEventsAsync(
        Guid organizationId,
        IReadOnlyList<UsageEventRecord> events,
        IReadOnlyDictionary<string, MetricAggregation> aggregations,
        UsageRollup? rollup = null,
        CancellationToken cancellationToken = default);

    /// <summary>The organization's totals of one period (one indexed read).</summary>
    /// <param name="organizationId">The organization.</param>
    /// <param name="periodStart">The period's start.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>One row per metric that has usage in the period.</returns>
    Task<IReadOnlyList<UsagePeriodTotal>> GetUsageTotalsAsync(Guid organizationId, DateTimeOffset periodStart, CancellationToken cancellationToken = default);

    /// <summary>The organization's most recent reports, newest first.</summary>
    Task<IReadOnlyList<UsageReport>> GetRecentReportsAsync(Guid organizationId, int take, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a completed link in one transaction: Stripe ids, plan, status; and enqueues the latest report of
    /// the current period through <paramref name="enqueueLatest"/>. Fails with <see cref="LinkCommitOutcome.AlreadyLinked"/>
    /// when another caller linked first.
    /// </summary>
    Task<LinkCommitOutcome> CommitLinkAsync(
        Guid organizationId,
        Action<Organization> apply,
        Func<Organization, UsageReport, MeterEventOutboxMessage?> enqueueLatest,
        CancellationToken cancellationToken = default);

    /// <summary>Applies a change to an organization with optimistic concurrency, retrying on conflicts; returns the updated organization or <see langword="null"/> when it does not exist.</summary>
    Task<Organization?> UpdateOrganizationAsync(Guid organizationId, Func<Organization, bool> change, CancellationToken cancellationToken = default);

    /// <summary>Lists organizations for the admin, with summary counts.</summary>
    Task<OrganizationPage> ListOrganizationsAsync(OrganizationQuery query, CancellationToken cancellationToken = default);

    /// <summary>Claims up to <paramref name="batchSize"/> due outbox rows for <paramref name="owner"/> until <paramref name="leaseUntil"/>.</summary>
    Task<IReadOnlyList<MeterEventOutboxMessage>> ClaimOutboxAsync(int batchSize, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default);

    /// <summary>Records the outcome of a claimed row; ignored when <paramref name="owner"/> no longer holds the lease.</summary>
    Task<bool> CompleteOutboxAsync(Guid id, string owner, OutboxCompletion completion, CancellationToken cancellationToken = default);

    /// <summary>Records one outcome for several claimed rows in one statement; rows whose lease was lost are skipped. Returns how many changed.</summary>
    Task<int> CompleteOutboxAsync(IReadOnlyCollection<Guid> ids, string owner, OutboxCompletion completion, CancellationToken cancellationToken = default);

    /// <summary>Puts failed outbox rows (one, or all of them) back to pending; returns how many.</summary>
    Task<int> RetryFailedOutboxAsync(Guid? id, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Counts outbox rows by status.</summary>
    Task<IReadOnlyDictionary<string, int>> CountOutboxAsync(CancellationToken cancellationToken = default);

    /// <summary>Inserts a received Stripe event; <see langword="false"/> when its id is already in the inbox.</summary>
    Task<bool> TryInsertWebhookEventAsync(WebhookInboxEvent webhookEvent, CancellationToken cancellationToken = default);

    /// <summary>Reads one inbox row.</summary>
    Task<WebhookInboxEvent?> GetWebhookEventAsync(string eventId, CancellationToken cancellationToken = default);

    /// <summary>Records the outcome of processing an inbox row and counts the attempt.</summary>
    Task CompleteWebhookEventAsync(string eventId, string status, string? error, DateTimeOffset at, DateTimeOffset? nextAttemptAt, CancellationToken cancellationToken = default);

    /// <summary>Lists inbox rows (all, or with a status), newest first.</summary>
    Task<IReadOnlyList<WebhookInboxEvent>> ListWebhookEventsAsync(string? status, int take, CancellationToken cancellationToken = default);

    /// <summary>Failed inbox rows whose retry time has come (and abandoned received ones), oldest first; never parked rows.</summary>
    Task<IReadOnlyList<WebhookInboxEvent>> ListDueWebhookRetriesAsync(DateTimeOffset now, int take, CancellationToken cancellationToken = default);

    /// <summary>Counts inbox rows by status.</summary>
    Task<IReadOnlyDictionary<string, int>> CountWebhookEventsAsync(CancellationToken cancellationToken = default);

    /// <summary>Inserts or updates an invoice mirror row, unless the stored row comes from a newer event.</summary>
    Task UpsertInvoiceAsync(InvoiceRecord invoice, CancellationToken cancellationToken = default);

    /// <summary>An organization's invoices, newest first.</summary>
    Task<IReadOnlyList<InvoiceRecord>> ListInvoicesAsync(Guid organizationId, int take, CancellationToken cancellationToken = default);

    /// <summary>Lists outbox rows with a status, newest first.</summary>
    Task<IReadOnlyList<MeterEventOutboxMessage>> ListOutboxAsync(string status, int take, CancellationToken cancellationToken = default);
}

/// <summary>The result of <see cref="IBillingStore.IngestUsageAsync"/>.</summary>
/// <param name="Report">The stored report (the original for a duplicate).</param>
/// <param name="Organization">The organization as the write saw it (its last-seen fields may not include this report yet).</param>
/// <param name="Duplicate">Whether the report had been stored before.</param>
/// <param name="Outbox">The outbox row written, if any.</param>
public sealed record IngestResult(UsageReport Report, Organization Organization, bool Duplicate, MeterEventOutboxMessage? Outbox);

/// <summary>The result of <see cref="IBillingStore.CommitLinkAsync"/>.</summary>
public enum LinkCommitOutcome
{
    /// <summary>The link was written.</summary>
    Committed,

    /// <summary>The organization was already linked.</summary>
    AlreadyLinked,

    /// <summary>The organization does not exist.</summary>
    NotFound,
}

/// <summary>How a claimed outbox row ended.</summary>
/// <param name="Status">The new <see cref="OutboxStatus"/>.</param>
/// <param name="At">When.</param>
/// <param name="NextAttemptAt">For a retry, when to try again.</param>
/// <param name="Error">The error, for a retry or a failure.</param>
/// <param name="StripeRequestId">Stripe's request id.</param>
public sealed record OutboxCompletion(string Status, DateTimeOffset At, DateTimeOffset? NextAttemptAt = null, string? Error = null, string? StripeRequestId = null);

/// <summary>A page of organizations for the admin.</summary>
/// <param name="Total">All organizations.</param>
/// <param name="Linked">Linked organizations.</param>
/// <param name="Pending">Pending organizations.</param>
/// <param name="Items">The page.</param>
/// <param name="Matching">How many match the query (for paging).</param>
public sealed record OrganizationPage(int Total, int Linked, int Pending, IReadOnlyList<Organization> Items, int Matching);

/// <summary>An admin query over organizations.</summary>
/// <param name="Search">Matches the name, instance URL, e-mail or id (case-insensitive).</param>
/// <param name="Linked">Only linked (<see langword="true"/>) or pending (<see langword="false"/>) organizations.</param>
/// <param name="Status">Only this status.</param>
/// <param name="Skip">Rows to skip.</param>
/// <param name="Take">Rows to return.</param>
public sealed record OrganizationQuery(string? Search = null, bool? Linked = null, string? Status = null, int Skip = 0, int Take = 500);
