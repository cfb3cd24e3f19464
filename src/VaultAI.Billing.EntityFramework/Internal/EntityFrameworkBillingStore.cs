using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using VaultAI.Billing.Credentials;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>
/// <see cref="IBillingStore"/> on EF Core. Each method uses its own short-lived context and transaction.
/// Writes to an organization are guarded by its <see cref="Organization.Version"/> and retried on conflict.
/// </summary>
internal sealed partial class EntityFrameworkBillingStore(IDbContextFactory<BillingDbContext> contextFactory, ILogger<EntityFrameworkBillingStore>? logger = null) : IBillingStore
{
    private const int MaxConflictRetries = 10;

    public async Task<Organization?> GetOrganizationAsync(Guid organizationId, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.Organizations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == organizationId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Organization?> FindOrganizationByStripeAsync(string? customerId, string? subscriptionId, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (subscriptionId is not null)
        {
            var bySubscription = await db.Organizations.AsNoTracking().FirstOrDefaultAsync(o => o.StripeSubscriptionId == subscriptionId, cancellationToken).ConfigureAwait(false);
            if (bySubscription is not null)
            {
                return bySubscription;
            }
        }

        return customerId is null
            ? null
            : await db.Organizations.AsNoTracking().FirstOrDefaultAsync(o => o.StripeCustomerId == customerId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> TryCreateOrganizationAsync(Organization organization, InstanceCredential credential, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        db.Organizations.Add(organization);
        db.Credentials.Add(credential);
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DbUpdateException exception) when (DbErrors.IsUniqueViolation(exception))
        {
            return false;
        }
    }

    public async Task<InstanceCredential?> FindActiveCredentialAsync(string tokenHash, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (!db.IsSqlite)
        {
            return await FindActiveCredentialPostgresAsync(db, tokenHash, cancellationToken).ConfigureAwait(false);
        }

        return await db.Credentials.AsNoTracking().FirstOrDefaultAsync(c => c.TokenHash == tokenHash && c.RevokedAt == null, cancellationToken).ConfigureAwait(false);
    }

    public async Task ReplaceCredentialAsync(Guid organizationId, InstanceCredential? replacement, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await db.Credentials.Where(c => c.OrganizationId == organizationId && c.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.RevokedAt, now), cancellationToken).ConfigureAwait(false);
        if (replacement is not null)
        {
            db.Credentials.Add(replacement);
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task TouchCredentialAsync(Guid credentialId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        TouchCredentialsAsync([credentialId], now, cancellationToken);

    public async Task TouchCredentialsAsync(IReadOnlyCollection<Guid> credentialIds, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(credentialIds);
        if (credentialIds.Count == 0)
        {
            return;
        }

        var ids = credentialIds.ToArray();
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (!db.IsSqlite)
        {
            await TouchCredentialsPostgresAsync(db, ids, now, cancellationToken).ConfigureAwait(false);
            return;
        }

        // The demo's single host writes its batches in order, so the time only moves forward here too.
        await db.Credentials.Where(c => ids.Contains(c.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LastUsedAt, now), cancellationToken).ConfigureAwait(false);
    }

    public async Task<IngestResult> IngestUsageAsync(
        UsageReport report,
        string? reportedName,
        string? reportedUrl,
        MetricAggregation aggregation,
        Func<Organization, UsageReport, MeterEventOutboxMessage?> createOutbox,
        CancellationToken cancellationToken = default)
    {
        using (var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!db.IsSqlite)
            {
                return await IngestUsagePostgresAsync(db, report, reportedName, reportedUrl, aggregation, createOutbox, cancellationToken).ConfigureAwait(false);
            }
        }

        return await IngestUsageSqliteAsync(report, reportedName, reportedUrl, aggregation, createOutbox, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The demo's path: EF Core under the process-wide SQLite gate, so it is the only writer.</summary>
    private async Task<IngestResult> IngestUsageSqliteAsync(
        UsageReport report,
        string? reportedName,
        string? reportedUrl,
        MetricAggregation aggregation,
        Func<Organization, UsageReport, MeterEventOutboxMessage?> createOutbox,
        CancellationToken cancellationToken)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        using var gate = await RowLocks.EnterAsync(db, cancellationToken).ConfigureAwait(false);
        using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var organization = await db.Organizations.FirstOrDefaultAsync(o => o.Id == report.OrganizationId, cancellationToken).ConfigureAwait(false)
            ?? throw new BillingException(404, "organization_not_found", $"No organization {report.OrganizationId}; register first.", "organization_id");
        var existing = await db.UsageReports.AsNoTracking()
            .FirstOrDefaultAsync(r => r.OrganizationId == report.OrganizationId && r.IdempotencyKey == report.IdempotencyKey, cancellationToken).ConfigureAwait(false);
        var stored = existing ?? report;
        MeterEventOutboxMessage? outbox = null;
        if (existing is null)
        {
            outbox = createOutbox(organization, report);
            // The current user count is the latest report by when it happened, never by when it arrived: a late report
            // about an old day must not replace today's count.
            var latestOccurred = await db.UsageReports.AsNoTracking().Where(r => r.OrganizationId == report.OrganizationId)
                .MaxAsync(r => (DateTimeOffset?)r.OccurredAt, cancellationToken).ConfigureAwait(false);
            if (latestOccurred is null || report.OccurredAt >= latestOccurred)
            {
                organization.LastUserCount = report.Quantity;
            }

            if (organization.LastReportAt is null || report.ReceivedAt >= organization.LastReportAt)
            {
                organization.LastReportAt = report.ReceivedAt;
                organization.Name = reportedName ?? organization.Name;
                organization.InstanceUrl = reportedUrl ?? organization.InstanceUrl;
                organization.UpdatedAt = report.ReceivedAt;
            }

            db.UsageReports.Add(report);
            if (outbox is not null)
            {
                db.MeterEventOutbox.Add(outbox);
            }
        }

        // The ledger event, also for a duplicate whose event an older version never wrote.
        var ledger = LedgerRecord(stored, report.ReceivedAt);
        var period = UsagePeriod.For(organization, stored.OccurredAt);
        ledger.PeriodStart = period.Start;
        ledger.PeriodEnd = period.End;
        var inserted = await InsertEventsSqliteAsync(db, stored.OrganizationId, [ledger], cancellationToken).ConfigureAwait(false);
        if (inserted.Count == 1)
        {
            var delta = TotalDelta.From(ledger.Metric, period.Start, period.End, aggregation, [ledger]);
            await ApplyTotalSqliteAsync(db, stored.OrganizationId, delta, report.ReceivedAt, cancellationToken).ConfigureAwait(false);
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new IngestResult(stored, organization, Duplicate: existing is not null, outbox);
    }

    public async Task<IReadOnlyList<UsageReport>> GetRecentReportsAsync(Guid organizationId, int take, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.UsageReports.AsNoTracking()
            .Where(r => r.OrganizationId == organizationId)
            .OrderByDescending(r => r.OccurredAt).ThenByDescending(r => r.ReceivedAt)
            .Take(take)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<LinkCommitOutcome> CommitLinkAsync(
        Guid organizationId,
        Action<Organization> apply,
        Func<Organization, UsageReport, MeterEventOutboxMessage?> enqueueLatest,
        CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            using var gate = await RowLocks.EnterAsync(db, cancellationToken).ConfigureAwait(false);
            using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await RowLocks.LockOrganizationAsync(db, organizationId, cancellationToken).ConfigureAwait(false);
            var organization = await db.Organizations.FirstOrDefaultAsync(o => o.Id == organizationId, cancellationToken).ConfigureAwait(false);
            if (organization is null)
            {
                return LinkCommitOutcome.NotFound;
            }

            if (organization.IsLinked)
            {
                return LinkCommitOutcome.AlreadyLinked;
            }

            apply(organization);
            organization.UpdatedAt = organization.LinkedAt ?? organization.UpdatedAt;
            organization.Version++;

            if (organization.CurrentPeriodStart is { } periodStart)
            {
                var latest = await db.UsageReports
                    .Where(r => r.OrganizationId == organizationId && r.OccurredAt >= periodStart)
                    .OrderByDescending(r => r.OccurredAt).ThenByDescending(r => r.ReceivedAt)
                    .FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
                if (latest is not null && enqueueLatest(organization, latest) is { } outbox)
                {
                    db.MeterEventOutbox.Add(outbox);
                }
            }

            try
            {
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return LinkCommitOutcome.Committed;
            }
            catch (DbUpdateConcurrencyException) when (attempt < MaxConflictRetries)
            {
                // A report or another link changed the row: start again from a fresh read.
            }
            catch (DbUpdateException exception) when (DbErrors.IsUniqueViolation(exception))
            {
                throw new BillingException(409, "stripe_ids_in_use", "This Stripe customer or subscription is already linked to another organization.", "organization_id", exception);
            }
        }
    }

    public async Task<Organization?> UpdateOrganizationAsync(Guid organizationId, Func<Organization, bool> change, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            using var gate = await RowLocks.EnterAsync(db, cancellationToken).ConfigureAwait(false);
            using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await RowLocks.LockOrganizationAsync(db, organizationId, cancellationToken).ConfigureAwait(false);
            var organization = await db.Organizations.FirstOrDefaultAsync(o => o.Id == organizationId, cancellationToken).ConfigureAwait(false);
            if (organization is null || !change(organization))
            {
                return organization;
            }

            organization.Version++;
            try
            {
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return organization;
            }
            catch (DbUpdateConcurrencyException) when (attempt < MaxConflictRetries)
            {
                // Somebody else changed it first; apply the change again to what they wrote.
            }
        }
    }

    public async Task<OrganizationPage> ListOrganizationsAsync(OrganizationQuery query, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var all = db.Organizations.AsNoTracking();
        var total = await all.CountAsync(cancellationToken).ConfigureAwait(false);
        // Linked means linked to a Stripe customer: a free plan has no subscription but is linked and active.
        var linked = await all.CountAsync(o => o.StripeCustomerId != null, cancellationToken).ConfigureAwait(false);

        var filtered = all;
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var term = query.Search.Trim();
            if (Guid.TryParse(term, out var id))
            {
                filtered = filtered.Where(o => o.Id == id);
            }
            else
            {
                var pattern = "%" + term.ToLowerInvariant().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
                filtered = filtered.Where(o => EF.Functions.Like(o.Name.ToLower(), pattern, "\\")
                    || (o.InstanceUrl != null && EF.Functions.Like(o.InstanceUrl.ToLower(), pattern, "\\"))
                    || (o.AdminEmail != null && EF.Functions.Like(o.AdminEmail.ToLower(), pattern, "\\")));
            }
        }

        if (query.Linked is { } isLinked)
        {
            filtered = isLinked ? filtered.Where(o => o.StripeCustomerId != null) : filtered.Where(o => o.StripeCustomerId == null);
        }

        if (!string.IsNullOrWhiteSpace(query.Status))
        {
            filtered = filtered.Where(o => o.Status == query.Status);
        }

        var matching = await filtered.CountAsync(cancellationToken).ConfigureAwait(false);
        var items = await filtered.OrderByDescending(o => o.CreatedAt).ThenBy(o => o.Id)
            .Skip(query.Skip).Take(query.Take)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return new OrganizationPage(total, linked, total - linked, items, matching);
    }

    public async Task<IReadOnlyList<MeterEventOutboxMessage>> ClaimOutboxAsync(int batchSize, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await OutboxClaims.ClaimRowsAsync(db, batchSize, owner, now, leaseUntil, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> CompleteOutboxAsync(Guid id, string owner, OutboxCompletion completion, CancellationToken cancellationToken = default) =>
        await CompleteOutboxAsync([id], owner, completion, cancellationToken).ConfigureAwait(false) == 1;

    public async Task<int> CompleteOutboxAsync(IReadOnlyCollection<Guid> ids, string owner, OutboxCompletion completion, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var rows = db.MeterEventOutbox.Where(m => ids.Contains(m.Id) && m.LeaseOwner == owner && m.Status == OutboxStatus.Pending);
        return completion.Status switch
        {
            OutboxStatus.Sent => await rows.ExecuteUpdateAsync(
                s => s.SetProperty(m => m.Status, OutboxStatus.Sent)
                    .SetProperty(m => m.SentAt, completion.At)
                    .SetProperty(m => m.StripeRequestId, completion.StripeRequestId)
                    .SetProperty(m => m.LastError, (string?)null)
                    .SetProperty(m => m.LeaseOwner, (string?)null)
                    .SetProperty(m => m.LeaseExpiresAt, (DateTimeOffset?)null),
                cancellationToken).ConfigureAwait(false),
            OutboxStatus.Failed => await rows.ExecuteUpdateAsync(
                s => s.SetProperty(m => m.Status, OutboxStatus.Failed)
                    .SetProperty(m => m.LastError, Truncate(completion.Error))
                    .SetProperty(m => m.StripeRequestId, completion.StripeRequestId)
                    .SetProperty(m => m.LeaseOwner, (string?)null)
                    .SetProperty(m => m.LeaseExpiresAt, (DateTimeOffset?)null),
                cancellationToken).ConfigureAwait(false),
            _ => await rows.ExecuteUpdateAsync(
                s => s.SetProperty(m => m.NextAttemptAt, completion.NextAttemptAt ?? completion.At)
                    .SetProperty(m => m.LastError, Truncate(completion.Error))
                    .SetProperty(m => m.LeaseOwner, (string?)null)
                    .SetProperty(m => m.LeaseExpiresAt, (DateTimeOffset?)null),
                cancellationToken).ConfigureAwait(false),
        };
    }

    public async Task<int> RetryFailedOutboxAsync(Guid? id, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var rows = db.MeterEventOutbox.Where(m => m.Status == OutboxStatus.Failed);
        if (id is { } one)
        {
            rows = rows.Where(m => m.Id == one);
        }

        return await rows.ExecuteUpdateAsync(
            s => s.SetProperty(m => m.Status, OutboxStatus.Pending).SetProperty(m => m.NextAttemptAt, now),
            cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyDictionary<string, int>> CountOutboxAsync(CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var counts = await db.MeterEventOutbox.GroupBy(m => m.Status).Select(g => new { g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<string, int>(StringComparer.Ordinal) { [OutboxStatus.Pending] = 0, [OutboxStatus.Sent] = 0, [OutboxStatus.Failed] = 0 };
        foreach (var row in counts)
        {
            result[row.Key] = row.Count;
        }

        return result;
    }

    public async Task<IReadOnlyList<MeterEventOutboxMessage>> ListOutboxAsync(string status, int take, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        return await db.MeterEventOutbox.AsNoTracking().Where(m => m.Status == status)
            .OrderByDescending(m => m.CreatedAt).Take(take)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string? Truncate(string? text) => text is { Length: > 2000 } ? text[..2000] : text;
}
