using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Metering.Internal;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>
/// The hot path of a usage report on PostgreSQL: one statement, so one round trip and one implicit transaction, writes the
/// report, its ledger event, its period total and its outbox row. No row of the organization is locked for update: the
/// statement takes a key-share lock on it, which concurrent reports share and a link or plan change (<c>FOR UPDATE</c>)
/// waits for, and only writes when the organization still looks as the outbox decision assumed.
/// </summary>
internal sealed partial class EntityFrameworkBillingStore
{
    private const int MaxSnapshots = 10_000;

    // The organizations this host decided outbox rows for, by id. Only a hint: every write checks the row still matches.
    private readonly ConcurrentDictionary<Guid, Organization> _snapshots = new();

    // About how many snapshots there are, for the bound: ConcurrentDictionary.Count takes every lock of the table.
    private int _snapshotCount;
    private readonly ReportActivity _activity = new();

    // Sends the report statements that arrive while the bound of statements in flight is reached as one batch.
    private ReportGroupCommit? _groupCommit;

    /// <summary>This host's group commit of report statements.</summary>
    internal ReportGroupCommit GroupCommit => LazyInitializer.EnsureInitialized(ref _groupCommit, () => new ReportGroupCommit(logger));

    // The text of the report statement, by metric aggregation, whether it carries the last-seen update and whether it checks
    // the token itself (a first report, see IngestCredentials).
    private static readonly ConcurrentDictionary<(MetricAggregation, bool, bool), string> IngestSql = new();

    /// <summary>How long a busy organization's background last-seen writer lets reports gather between two writes.</summary>
    private static readonly TimeSpan LastSeenCoalescing = TimeSpan.FromMilliseconds(100);

    private async Task<IngestResult> IngestUsagePostgresAsync(
        BillingDbContext db,
        UsageReport report,
        string? reportedName,
        string? reportedUrl,
        MetricAggregation aggregation,
        Func<Organization, UsageReport, MeterEventOutboxMessage?> createOutbox,
        CancellationToken cancellationToken)
    {
        var (connection, seen) = await OpenForReportAsync(db, report, reportedName, reportedUrl, cancellationToken).ConfigureAwait(false);
        _snapshots.TryGetValue(report.OrganizationId, out var organization);

        for (var attempt = 1; ; attempt++)
        {
            if (organization is null)
            {
                organization = await OrganizationById(db, report.OrganizationId, cancellationToken).ConfigureAwait(false)
                    ?? throw new BillingException(404, "organization_not_found", $"No organization {report.OrganizationId}; register first.", "organization_id");
                Remember(organization);
            }

            var outbox = createOutbox(organization, report);
            var period = UsagePeriod.For(organization, report.OccurredAt);
            var owner = _activity.TryAcquire(report.OrganizationId);
            IngestOutcome outcome;
            try
            {
                outcome = await ExecuteGroupedAsync(db, connection, organization, report, period, aggregation, outbox, owner ? seen : null, cancellationToken).ConfigureAwait(false);
                if (outcome == IngestOutcome.Inserted && !owner)
                {
                    owner = _activity.Deposit(report.OrganizationId, seen);
                }
            }
            catch (PostgresException exception) when (attempt < MaxConflictRetries && exception.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                // One statement: nothing of it was written. Run it again.
                outcome = IngestOutcome.Retry;
            }
            finally
            {
                if (owner)
                {
                    await FlushLastSeenAsync(connection, report.OrganizationId).ConfigureAwait(false);
                }
            }

            switch (outcome)
            {
                case IngestOutcome.Inserted:
                    return new IngestResult(report, organization, Duplicate: false, outbox);
                case IngestOutcome.Duplicate:
                    return await ReadDuplicateAsync(db, connection, organization, report, aggregation, cancellationToken).ConfigureAwait(false);
                case IngestOutcome.Changed when attempt < MaxConflictRetries:
                    // A link, plan or status change committed since the organization was read: decide again on what it is now.
                    _snapshots.TryRemove(report.OrganizationId, out _);
                    organization = null;
                    break;
                case IngestOutcome.Retry:
                    break;
                default:
                    throw new BillingException(503, "organization_busy", "The organization is being changed; retry the report.", "organization_id");
            }
        }
    }

    /// <summary>Opens the context's connection for a report's statement, puts the report's times in UTC, and says what it tells of its organization.</summary>
    private static async Task<(NpgsqlConnection Connection, LastSeen Seen)> OpenForReportAsync(
        BillingDbContext db, UsageReport report, string? reportedName, string? reportedUrl, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        report.OccurredAt = report.OccurredAt.ToUniversalTime();
        report.ReceivedAt = report.ReceivedAt.ToUniversalTime();
        return ((NpgsqlConnection)db.Database.GetDbConnection(), new LastSeen(report.ReceivedAt, report.Quantity, reportedName, reportedUrl, report.OccurredAt));
    }

    private void Remember(Organization organization)
    {
        if (Volatile.Read(ref _snapshotCount) >= MaxSnapshots)
        {
            // Bounded without bookkeeping on the hot path: a miss costs one read.
            _snapshots.Clear();
            Volatile.Write(ref _snapshotCount, 0);
        }

        if (_snapshots.TryAdd(organization.Id, organization))
        {
            Interlocked.Increment(ref _snapshotCount);
        }
        else
        {
            _snapshots[organization.Id] = organization;
        }
    }

    /// <summary>The single statement of a report. Every insert hangs off the previous one, so they happen in order or not at all.</summary>
    private static async Task<IngestOutcome> ExecuteIngestAsync(
        NpgsqlConnection connection,
        Organization organization,
        UsageReport report,
        UsagePeriod period,
        MetricAggregation aggregation,
        MeterEventOutboxMessage? outbox,
        LastSeen? lastSeen,
        CancellationToken cancellationToken)
    {
        // The organization row must still be what the outbox decision and the period were computed from. FOR KEY SHARE: reports
        // share it; a link or plan change (FOR UPDATE) waits for the reports in flight, and reports wait for it, then see it.
        // The last-seen update, when this host's writer owns it, comes last, after the total, so every writer locks in one order.
        // The text is built once per variant and the statement prepared once per pooled connection: PostgreSQL never
        // parses it again, and this host allocates no new text per report.
        using var command = CreateReportCommand(connection, organization, report, period, aggregation, outbox, lastSeen);
        await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return ReadIngestOutcome(reader);
    }

    /// <summary>
    /// The report statement through the group commit: alone on the request's connection when this host has a slot free,
    /// else in the next batch; alone again when its batch failed (which wrote nothing).
    /// </summary>
    private async Task<IngestOutcome> ExecuteGroupedAsync(
        BillingDbContext db,
        NpgsqlConnection connection,
        Organization organization,
        UsageReport report,
        UsagePeriod period,
        MetricAggregation aggregation,
        MeterEventOutboxMessage? outbox,
        LastSeen? lastSeen,
        CancellationToken cancellationToken)
    {
        var outcome = IngestOutcome.Retry;
        var ran = await RunGroupedAsync(
            db,
            report.OrganizationId,
            () =>
            {
                var command = new NpgsqlBatchCommand(IngestSql.GetOrAdd((aggregation, lastSeen is not null, false), BuildIngestSql));
                AddIngestParameters(command.Parameters, organization, report, period, aggregation, outbox, withVersion: true);
                if (lastSeen is not null)
                {
                    AddLastSeenParameters(command.Parameters, lastSeen);
                }

                return command;
            },
            reader => outcome = ReadIngestOutcome(reader),
            async () => outcome = await ExecuteIngestAsync(connection, organization, report, period, aggregation, outbox, lastSeen, cancellationToken).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        return ran ? outcome : await ExecuteIngestAsync(connection, organization, report, period, aggregation, outbox, lastSeen, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A report statement through the group commit on the request's context: its connection goes back to the pool while the
    /// statement waits for a batch, and is open again when this returns (also when the wait was canceled), for what follows.
    /// </summary>
    private async Task<bool> RunGroupedAsync(
        BillingDbContext db,
        Guid organizationId,
        Func<NpgsqlBatchCommand> create,
        Action<NpgsqlDataReader> read,
        Func<Task> alone,
        CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        try
        {
            return await GroupCommit.RunAsync(
                organizationId,
                create,
                read,
                alone,
                () => (NpgsqlConnection)((ICloneable)connection).Clone(),
                () => db.Database.CloseConnectionAsync(),
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (connection.State != System.Data.ConnectionState.Open)
            {
                await db.Database.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private static IngestOutcome ReadIngestOutcome(NpgsqlDataReader reader)
    {
        var organizationMatched = reader.GetInt32(0) == 1;
        var inserted = reader.GetInt32(1) == 1;
        return inserted ? IngestOutcome.Inserted : organizationMatched ? IngestOutcome.Duplicate : IngestOutcome.Changed;
    }

    /// <summary>
    /// The report statement with its parameters, not yet prepared. Also what <c>bench/compare-host</c>'s floor sends, so the
    /// floor measures the same SQL as a real report.
    /// </summary>
    internal static NpgsqlCommand CreateReportCommand(
        NpgsqlConnection connection,
        Organization organization,
        UsageReport report,
        UsagePeriod period,
        MetricAggregation aggregation,
        MeterEventOutboxMessage? outbox,
        LastSeen? lastSeen)
    {
        var command = new NpgsqlCommand(IngestSql.GetOrAdd((aggregation, lastSeen is not null, false), BuildIngestSql), connection);
        AddIngestParameters(command.Parameters, organization, report, period, aggregation, outbox, withVersion: true);
        if (lastSeen is not null)
        {
            AddLastSeenParameters(command.Parameters, lastSeen);
        }

        return command;
    }

    /// <summary>
    /// The report statement. With <c>WithToken</c> (a first report): the organization must also be the one of the active
    /// credential whose hash is <c>@token_hash</c>, its version is not known (only the fields the decision was made on are
    /// checked), and the answer carries the credential and the organization's row as they were before the statement.
    /// </summary>
    private static string BuildIngestSql((MetricAggregation Aggregation, bool WithLastSeen, bool WithToken) variant) => $"""
            WITH {(variant.WithToken ? CredentialCteSql : "")}org AS (
                SELECT id FROM billing.organizations
                WHERE id = @organization_id AND {(variant.WithToken ? "id IN (SELECT organization_id FROM credential)" : "version = @version")} AND status = @status
                  AND stripe_customer_id IS NOT DISTINCT FROM @customer_id
                  AND stripe_subscription_id IS NOT DISTINCT FROM @subscription_id
                  AND plan_key IS NOT DISTINCT FROM @plan_key
                  AND current_period_start IS NOT DISTINCT FROM @current_period_start
                  AND current_period_end IS NOT DISTINCT FROM @current_period_end
                FOR KEY SHARE
            ),
            report AS (
                INSERT INTO billing.usage_reports (id, organization_id, metric, quantity, occurred_at, received_at, idempotency_key, source, reported_deployment_type, billable, not_billable_reason)
                SELECT @report_id, org.id, @metric, @quantity, @occurred_at, @received_at, @idempotency_key, @source, @deployment_type, @billable, @not_billable_reason FROM org
                ON CONFLICT (organization_id, idempotency_key) DO NOTHING
                RETURNING id
            ),
            ledger AS (
                INSERT INTO billing.usage_events (id, organization_id, event_id, metric, quantity, occurred_at, received_at, source, period_start, period_end)
                SELECT @event_row_id, @organization_id, @event_id, @metric, @quantity, @occurred_at, @received_at, @source, @period_start, @period_end FROM report
                ON CONFLICT (organization_id, event_id) DO NOTHING
                RETURNING occurred_at
            ),
            total AS (
                INSERT INTO billing.usage_totals AS t (organization_id, metric, period_start, period_end, total, event_count, last_event_at, updated_at)
                SELECT @organization_id, @metric, @period_start, @period_end, @total, 1, ledger.occurred_at, @received_at FROM ledger
                ON CONFLICT (organization_id, period_start, metric) DO UPDATE SET
                    total = {TotalCombineSql(variant.Aggregation)},
                    event_count = t.event_count + excluded.event_count,
                    last_event_at = GREATEST(t.last_event_at, excluded.last_event_at),
                    updated_at = excluded.updated_at
                RETURNING 1 AS done
            ),
            outbox AS (
                INSERT INTO billing.meter_event_outbox (id, usage_report_id, organization_id, event_name, stripe_customer_id, value, identifier, timestamp, status, attempts, next_attempt_at, created_at)
                SELECT @outbox_id, report.id, @organization_id, @event_name, @outbox_customer_id, @value, @identifier, @outbox_timestamp, @outbox_status, 0, @next_attempt_at, @created_at
                FROM report WHERE @enqueue
            ){(variant.WithLastSeen ? $",\n{LastSeenSql("EXISTS (SELECT 1 FROM total)")}" : "")}
            SELECT (SELECT count(*) FROM org)::int, (SELECT count(*) FROM report)::int{(variant.WithToken ? FirstReportAnswerSql : "")}
            """;

    private static void AddIngestParameters(
        NpgsqlParameterCollection p,
        Organization organization,
        UsageReport report,
        UsagePeriod period,
        MetricAggregation aggregation,
        MeterEventOutboxMessage? outbox,
        bool withVersion)
    {
        p.Add(new NpgsqlParameter("organization_id", NpgsqlDbType.Uuid) { Value = organization.Id });
        if (withVersion)
        {
            p.Add(new NpgsqlParameter("version", NpgsqlDbType.Bigint) { Value = organization.Version });
        }

        p.Add(new NpgsqlParameter("status", NpgsqlDbType.Text) { Value = organization.Status });
        p.Add(Text("customer_id", organization.StripeCustomerId));
        p.Add(Text("subscription_id", organization.StripeSubscriptionId));
        p.Add(Text("plan_key", organization.PlanKey));
        p.Add(Timestamp("current_period_start", organization.CurrentPeriodStart));
        p.Add(Timestamp("current_period_end", organization.CurrentPeriodEnd));
        p.Add(new NpgsqlParameter("report_id", NpgsqlDbType.Uuid) { Value = report.Id });
        p.Add(new NpgsqlParameter("metric", NpgsqlDbType.Text) { Value = report.Metric });
        p.Add(new NpgsqlParameter("quantity", NpgsqlDbType.Bigint) { Value = report.Quantity });
        p.Add(Timestamp("occurred_at", report.OccurredAt));
        p.Add(Timestamp("received_at", report.ReceivedAt));
        p.Add(new NpgsqlParameter("idempotency_key", NpgsqlDbType.Text) { Value = report.IdempotencyKey });
        p.Add(new NpgsqlParameter("source", NpgsqlDbType.Text) { Value = report.Source });
        p.Add(Text("deployment_type", report.ReportedDeploymentType));
        p.Add(new NpgsqlParameter("billable", NpgsqlDbType.Boolean) { Value = report.Billable });
        p.Add(Text("not_billable_reason", report.NotBillableReason));
        p.Add(new NpgsqlParameter("event_row_id", NpgsqlDbType.Uuid) { Value = Guid.CreateVersion7(report.ReceivedAt) });
        p.Add(new NpgsqlParameter("event_id", NpgsqlDbType.Text) { Value = UsageIngestion.LedgerEventId(report.Id) });
        p.Add(Timestamp("period_start", period.Start));
        p.Add(Timestamp("period_end", period.End));
        p.Add(new NpgsqlParameter("total", NpgsqlDbType.Numeric) { Value = aggregation == MetricAggregation.Count ? 1m : report.Quantity });
        p.Add(new NpgsqlParameter("enqueue", NpgsqlDbType.Boolean) { Value = outbox is not null });
        p.Add(new NpgsqlParameter("outbox_id", NpgsqlDbType.Uuid) { Value = outbox?.Id ?? Guid.Empty });
        p.Add(new NpgsqlParameter("event_name", NpgsqlDbType.Text) { Value = outbox?.EventName ?? "" });
        p.Add(new NpgsqlParameter("outbox_customer_id", NpgsqlDbType.Text) { Value = outbox?.StripeCustomerId ?? "" });
        p.Add(new NpgsqlParameter("value", NpgsqlDbType.Bigint) { Value = outbox?.Value ?? 0 });
        p.Add(new NpgsqlParameter("identifier", NpgsqlDbType.Text) { Value = outbox?.Identifier ?? "" });
        p.Add(Timestamp("outbox_timestamp", outbox?.Timestamp ?? report.OccurredAt));
        p.Add(new NpgsqlParameter("outbox_status", NpgsqlDbType.Text) { Value = outbox?.Status ?? OutboxStatus.Pending });
        p.Add(Timestamp("next_attempt_at", outbox?.NextAttemptAt ?? report.ReceivedAt));
        p.Add(Timestamp("created_at", outbox?.CreatedAt ?? report.ReceivedAt));
    }

    /// <summary>
    /// For the owner of the organization's last-seen fields on this host: writes what other reports left meanwhile, then lets
    /// go. Best effort: these fields are for display, the ledger is the record, and a failure only leaves them a report behind.
    /// A request writes at most once: when more arrives meanwhile (a busy organization), a background writer takes the
    /// ownership over, so no request waits on a stream of other reports.
    /// </summary>
    private async Task FlushLastSeenAsync(NpgsqlConnection connection, Guid organizationId)
    {
        if (_activity.TakeOrRelease(organizationId) is not { } pending)
        {
            return;
        }

        await WriteLastSeenAsync(connection, organizationId, pending).ConfigureAwait(false);
        if (_activity.TakeOrRelease(organizationId) is { } more)
        {
            _ = DrainLastSeenAsync((NpgsqlConnection)((ICloneable)connection).Clone(), organizationId, more);
        }
    }

    /// <summary>
    /// Keeps the ownership of a busy organization's last-seen fields on its own connection: writes, lets the reports of the next
    /// <see cref="LastSeenCoalescing"/> gather, writes their newest, and lets go once a pause brings nothing.
    /// </summary>
    private async Task DrainLastSeenAsync(NpgsqlConnection connection, Guid organizationId, LastSeen first)
    {
        await Task.Yield();
        await using (connection.ConfigureAwait(false))
        {
            var open = true;
            try
            {
                await connection.OpenAsync(CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Best effort by design; the failure is logged and the ownership still let go below.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                open = false;
                if (logger is not null)
                {
                    LogLastSeenFailed(logger, organizationId, exception);
                }
            }

            for (LastSeen? pending = first; pending is not null; pending = _activity.TakeOrRelease(organizationId))
            {
                if (open)
                {
                    await WriteLastSeenAsync(connection, organizationId, pending).ConfigureAwait(false);
                    await Task.Delay(LastSeenCoalescing).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task WriteLastSeenAsync(NpgsqlConnection connection, Guid organizationId, LastSeen pending)
    {
        try
        {
            using var command = new NpgsqlCommand(FlushLastSeenSql, connection);
            command.Parameters.Add(new NpgsqlParameter("organization_id", NpgsqlDbType.Uuid) { Value = organizationId });
            AddLastSeenParameters(command.Parameters, pending);
            // Not the request's token: other reports' values ride on this write.
            await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Best effort by design, see above; the failure is logged.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            if (logger is not null)
            {
                LogLastSeenFailed(logger, organizationId, exception);
            }
        }
    }

    /// <summary>The last-seen update on its own: the same common table expression as in the report statement, run by itself.</summary>
    private static readonly string FlushLastSeenSql = $"WITH {LastSeenSql("TRUE")}\nSELECT count(*)::int FROM seen";

    /// <summary>Moves the last-seen fields forward, never back: an older report arriving late changes neither the time nor the user count.</summary>
    private static string LastSeenSql(string condition) => $"""
        seen AS (
            UPDATE billing.organizations
            SET last_report_at = GREATEST(last_report_at, @seen_at),
                -- The user count follows the latest report by when it happened: a late report about an old day keeps today's.
                -- Decided apart from the received time, so the latest report's count is written even when its write comes
                -- after a report received later.
                last_user_count = CASE WHEN EXISTS (
                    SELECT 1 FROM billing.usage_reports r WHERE r.organization_id = @organization_id AND r.occurred_at > @seen_occurred_at)
                    THEN last_user_count ELSE @seen_count END,
                name = CASE WHEN last_report_at IS NULL OR last_report_at <= @seen_at THEN COALESCE(@seen_name, name) ELSE name END,
                instance_url = CASE WHEN last_report_at IS NULL OR last_report_at <= @seen_at THEN COALESCE(@seen_url, instance_url) ELSE instance_url END,
                updated_at = GREATEST(updated_at, @seen_at)
            WHERE id = @organization_id AND {condition}
            RETURNING 1
        )
        """;

    private static void AddLastSeenParameters(NpgsqlParameterCollection parameters, LastSeen seen)
    {
        parameters.Add(Timestamp("seen_at", seen.ReceivedAt));
        parameters.Add(Timestamp("seen_occurred_at", seen.OccurredAt ?? seen.ReceivedAt));
        parameters.Add(new NpgsqlParameter("seen_count", NpgsqlDbType.Bigint) { Value = seen.Quantity });
        parameters.Add(Text("seen_name", seen.Name));
        parameters.Add(Text("seen_url", seen.InstanceUrl));
    }

    /// <summary>The original report of a duplicate; completes its ledger event when an older version stored the report without it.</summary>
    private async Task<IngestResult> ReadDuplicateAsync(BillingDbContext db, NpgsqlConnection connection, Organization organization, UsageReport report, MetricAggregation aggregation, CancellationToken cancellationToken)
    {
        const string Sql = """
            SELECT r.id, r.metric, r.quantity, r.occurred_at, r.received_at, r.source, r.reported_deployment_type, r.billable, r.not_billable_reason,
                   EXISTS (SELECT 1 FROM billing.usage_events e WHERE e.organization_id = r.organization_id AND e.event_id = 'usage-report:' || replace(r.id::text, '-', ''))
            FROM billing.usage_reports r
            WHERE r.organization_id = @organization_id AND r.idempotency_key = @idempotency_key
            """;
        UsageReport original;
        bool inLedger;
        using (var command = new NpgsqlCommand(Sql, connection))
        {
            command.Parameters.Add(new NpgsqlParameter("organization_id", NpgsqlDbType.Uuid) { Value = report.OrganizationId });
            command.Parameters.Add(new NpgsqlParameter("idempotency_key", NpgsqlDbType.Text) { Value = report.IdempotencyKey });
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException("A usage report conflicted on its idempotency key but cannot be read back.");
            }

            original = new UsageReport
            {
                Id = reader.GetGuid(0),
                OrganizationId = report.OrganizationId,
                Metric = reader.GetString(1),
                Quantity = reader.GetInt64(2),
                OccurredAt = reader.GetFieldValue<DateTimeOffset>(3),
                ReceivedAt = reader.GetFieldValue<DateTimeOffset>(4),
                IdempotencyKey = report.IdempotencyKey,
                Source = reader.GetString(5),
                ReportedDeploymentType = reader.IsDBNull(6) ? null : reader.GetString(6),
                Billable = reader.GetBoolean(7),
                NotBillableReason = reader.IsDBNull(8) ? null : reader.GetString(8),
            };
            inLedger = reader.GetBoolean(9);
        }

        if (!inLedger)
        {
            await db.Database.CloseConnectionAsync().ConfigureAwait(false);
            await AppendUsageEventsAsync(
                original.OrganizationId,
                [LedgerRecord(original, report.ReceivedAt)],
                new Dictionary<string, MetricAggregation>(StringComparer.Ordinal) { [original.Metric] = aggregation },
                rollup: null,
                cancellationToken).ConfigureAwait(false);
        }

        return new IngestResult(original, organization, Duplicate: true, Outbox: null);
    }

    /// <summary>The ledger event of a usage report.</summary>
    private static UsageEventRecord LedgerRecord(UsageReport report, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        OrganizationId = report.OrganizationId,
        EventId = UsageIngestion.LedgerEventId(report.Id),
        Metric = report.Metric,
        Quantity = report.Quantity,
        OccurredAt = report.OccurredAt,
        ReceivedAt = now,
        Source = report.Source,
    };

    private static NpgsqlParameter Text(string name, string? value) =>
        new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Timestamp(string name, DateTimeOffset? value) =>
        new(name, NpgsqlDbType.TimestampTz) { Value = value is { } v ? v.ToUniversalTime() : DBNull.Value };

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Could not update the last report of organization {OrganizationId}; the next report will")]
    private static partial void LogLastSeenFailed(ILogger logger, Guid organizationId, Exception exception);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "A batch of {Count} usage reports failed and wrote nothing; each report runs alone")]
    internal static partial void LogBatchFailed(ILogger logger, int count, Exception exception);

    private enum IngestOutcome
    {
        Inserted,
        Duplicate,
        Changed,
        Retry,
    }
}
