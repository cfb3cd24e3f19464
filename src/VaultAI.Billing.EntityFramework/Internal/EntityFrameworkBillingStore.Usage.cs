using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;
using VaultAI.Billing.Metering;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>The usage ledger and its period totals.</summary>
internal sealed partial class EntityFrameworkBillingStore
{
    private const int MaxDeadlockRetries = 5;

    public async Task<IReadOnlyCollection<string>> AppendUsageEventsAsync(
        Guid organizationId,
        IReadOnlyList<UsageEventRecord> events,
        IReadOnlyDictionary<string, MetricAggregation> aggregations,
        UsageRollup? rollup = null,
        CancellationToken cancellationToken = default)
    {
        if (events.Count == 0)
        {
            return [];
        }

        if (await TryAppendUsageEventsDirectAsync(organizationId, events, aggregations, rollup, cancellationToken).ConfigureAwait(false) is { } direct)
        {
            return direct;
        }

        return await AppendInTransactionAsync(organizationId, events, aggregations, rollup, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The general path: one transaction writes the ledger rows, the period totals and the roll-ups, and, with
    /// <paramref name="release"/>, gives that reservation back, so a reader sees the reserved usage either as reserved or as
    /// recorded, never as both or neither.
    /// </summary>
    private async Task<IReadOnlyCollection<string>> AppendInTransactionAsync(
        Guid organizationId,
        IReadOnlyList<UsageEventRecord> events,
        IReadOnlyDictionary<string, MetricAggregation> aggregations,
        UsageRollup? rollup,
        Entitlements.Internal.QuotaReservation? release,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
            using var gate = await RowLocks.EnterAsync(db, cancellationToken).ConfigureAwait(false);
            using var transaction = await db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var organization = await db.Organizations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == organizationId, cancellationToken).ConfigureAwait(false)
                ?? throw new BillingException(404, "organization_not_found", $"No organization {organizationId}; register first.", "organization_id");

            // One order for every writer (event id, then metric and period) so concurrent batches never wait on each other in a cycle.
            var ordered = events.OrderBy(e => e.EventId, StringComparer.Ordinal).ToList();
            foreach (var e in ordered)
            {
                var period = UsagePeriod.For(organization, e.OccurredAt);
                e.OrganizationId = organizationId;
                e.OccurredAt = e.OccurredAt.ToUniversalTime();
                e.ReceivedAt = e.ReceivedAt.ToUniversalTime();
                e.PeriodStart = period.Start;
                e.PeriodEnd = period.End;
                e.NotBillableReason = rollup?.NotBillableReason(organization, e.Metric, e.OccurredAt);
            }

            try
            {
                var inserted = db.IsSqlite
                    ? await InsertEventsSqliteAsync(db, organizationId, ordered, cancellationToken).ConfigureAwait(false)
                    : await InsertEventsPostgresAsync(db, transaction, organizationId, ordered, cancellationToken).ConfigureAwait(false);

                // Totals from the new events only, in the order the caller gave them (the last of equal timestamps wins).
                var deltas = events.Where(e => inserted.Contains(e.EventId))
                    .GroupBy(e => (e.Metric, e.PeriodStart, e.PeriodEnd))
                    .OrderBy(g => g.Key.Metric, StringComparer.Ordinal).ThenBy(g => g.Key.PeriodStart)
                    .Select(g => TotalDelta.From(g.Key.Metric, g.Key.PeriodStart, g.Key.PeriodEnd, aggregations.TryGetValue(g.Key.Metric, out var a) ? a : MetricAggregation.Sum, g.ToList()))
                    .ToList();
                var now = events[0].ReceivedAt;
                foreach (var delta in deltas)
                {
                    if (db.IsSqlite)
                    {
                        await ApplyTotalSqliteAsync(db, organizationId, delta, now, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await ApplyTotalPostgresAsync(db, transaction, organizationId, delta, now, cancellationToken).ConfigureAwait(false);
                    }
                }

                if (release is not null)
                {
                    await ReleaseInTransactionAsync(db, transaction, release, cancellationToken).ConfigureAwait(false);
                }

                if (rollup is not null && organization.IsLinked && organization.Status != Organizations.OrganizationStatus.Canceled && organization.StripeCustomerId is not null)
                {
                    var targets = RollupTargets(organizationId, rollup, events.Where(e => inserted.Contains(e.EventId)));
                    await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                    foreach (var target in targets)
                    {
                        await RollUpWindowAsync(db, transaction, organization, rollup, target, cancellationToken).ConfigureAwait(false);
                    }
                }

                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return inserted;
            }
            catch (PostgresException exception) when (attempt < MaxDeadlockRetries && exception.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                // The database chose this transaction as a deadlock victim: nothing was written, so run it again.
            }
        }
    }

    public async Task<IReadOnlyList<UsagePeriodTotal>> GetUsageTotalsAsync(Guid organizationId, DateTimeOffset periodStart, CancellationToken cancellationToken = default)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var start = periodStart.ToUniversalTime();
        return await db.UsageTotals.AsNoTracking()
            .Where(t => t.OrganizationId == organizationId && t.PeriodStart == start)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The roll-ups a batch's new events touch, in lock order. Sum, Count and Last roll up per (metric, part of a window): a
    /// window is cut where a billing period starts inside it, so every event belongs to exactly one part, fixed by its own
    /// timestamp and period. Max rolls up per (metric, period): its value is the period's running maximum, sent in the
    /// period's latest part so that a Stripe meter aggregating with <c>last</c> bills the period maximum.
    /// </summary>
    private static List<RollupTarget> RollupTargets(Guid organizationId, UsageRollup rollup, IEnumerable<UsageEventRecord> inserted) =>
        inserted.Where(e => e.NotBillableReason is null && rollup.Metrics.ContainsKey(e.Metric))
            .Select(e => rollup.Metrics[e.Metric].Aggregation == MetricAggregation.Max
                ? new RollupTarget(e.Metric, e.PeriodStart, null, $"max:{organizationId:N}:{e.Metric}:{e.PeriodStart.ToUnixTimeSeconds()}")
                : new RollupTarget(e.Metric, default, rollup.PartStart(e.OccurredAt, e.PeriodStart), UsageRollup.IdentifierPrefix(organizationId, e.Metric, rollup.PartStart(e.OccurredAt, e.PeriodStart))))
            .Distinct()
            .OrderBy(t => t.LockKey, StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// Brings one roll-up's outbox rows up to date with the ledger, under a transaction-scoped lock (PostgreSQL; SQLite's
    /// single writer already holds the process-wide gate) so concurrent writers take turns and each sees what the other
    /// committed. Only a row no dispatcher ever claimed (attempts 0, no lease) is changed; otherwise the difference goes into
    /// a new row with the next sequence number.
    /// </summary>
    private static async Task RollUpWindowAsync(BillingDbContext db, IDbContextTransaction transaction, Organizations.Organization organization, UsageRollup rollup, RollupTarget target, CancellationToken cancellationToken)
    {
        var definition = rollup.Metrics[target.Metric];
        if (!db.IsSqlite)
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            using var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, (NpgsqlTransaction)transaction.GetDbTransaction());
            lockCommand.Parameters.Add(new NpgsqlParameter("key", NpgsqlDbType.Bigint) { Value = BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(target.LockKey)), 0) });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var selection = target.Part is { } part
            ? new RollupSelection(organization.Id, target.Metric, rollup.WindowStart(part), rollup.WindowStart(part) + rollup.Window, part)
            : new RollupSelection(organization.Id, target.Metric, null, null, target.PeriodStart);
        var aggregate = db.IsSqlite
            ? await AggregateSqliteAsync(db, selection, cancellationToken).ConfigureAwait(false)
            : await AggregatePostgresAsync(db, transaction, selection, cancellationToken).ConfigureAwait(false);
        if (aggregate is null)
        {
            return;
        }

        long value = definition.Aggregation switch
        {
            MetricAggregation.Count => aggregate.Count,
            MetricAggregation.Last => UsageRollup.ToSmallestUnits(aggregate.Last, definition.Decimals),
            MetricAggregation.Max => UsageRollup.ToSmallestUnits(aggregate.Max, definition.Decimals),
            _ => UsageRollup.ToSmallestUnits(aggregate.Sum, definition.Decimals),
        };

        // Max: the period's maximum so far goes into the part of its latest event, so Stripe's last event of the period carries it.
        var partStart = target.Part ?? rollup.PartStart(aggregate.LatestAt, target.PeriodStart);
        var windowEnd = rollup.WindowStart(partStart) + rollup.Window;
        var partEnd = aggregate.PeriodEnd < windowEnd ? aggregate.PeriodEnd : windowEnd;
        await ApplyRollupValueAsync(db, organization, rollup, definition, UsageRollup.IdentifierPrefix(organization.Id, target.Metric, partStart), partStart, partEnd, value, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<RollupAggregate?> AggregatePostgresAsync(BillingDbContext db, IDbContextTransaction transaction, RollupSelection selection, CancellationToken cancellationToken)
    {
        var filter = selection.WindowStart is null
            ? "organization_id = @o AND metric = @m AND not_billable_reason IS NULL AND period_start = @p"
            : "organization_id = @o AND metric = @m AND not_billable_reason IS NULL AND occurred_at >= @ws AND occurred_at < @we AND "
                + (selection.PeriodStart > selection.WindowStart ? "period_start = @p" : "period_start <= @ws");
        var sql = $"""
            SELECT COALESCE(SUM(quantity), 0), COUNT(*), COALESCE(MAX(quantity), 0), MAX(occurred_at), MIN(period_end),
                   COALESCE((SELECT quantity FROM billing.usage_events WHERE {filter} ORDER BY occurred_at DESC, received_at DESC, id DESC LIMIT 1), 0)
            FROM billing.usage_events
            WHERE {filter}
            """;
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        using var command = new NpgsqlCommand(sql, connection, (NpgsqlTransaction)transaction.GetDbTransaction());
        command.Parameters.Add(new NpgsqlParameter("o", NpgsqlDbType.Uuid) { Value = selection.OrganizationId });
        command.Parameters.Add(new NpgsqlParameter("m", NpgsqlDbType.Text) { Value = selection.Metric });
        command.Parameters.Add(new NpgsqlParameter("p", NpgsqlDbType.TimestampTz) { Value = selection.PeriodStart.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter("ws", NpgsqlDbType.TimestampTz) { Value = (selection.WindowStart ?? default).ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter("we", NpgsqlDbType.TimestampTz) { Value = (selection.WindowEnd ?? default).ToUniversalTime() });
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (reader.GetInt64(1) == 0)
        {
            return null;
        }

        return new RollupAggregate(
            reader.GetDecimal(0),
            reader.GetInt64(1),
            reader.GetDecimal(2),
            reader.GetDecimal(5),
            reader.GetFieldValue<DateTimeOffset>(3),
            reader.GetFieldValue<DateTimeOffset>(4));
    }

    // SQLite (the single-process demo) cannot sum decimals in the database; a demo's window is small enough to read.
    private static async Task<RollupAggregate?> AggregateSqliteAsync(BillingDbContext db, RollupSelection selection, CancellationToken cancellationToken)
    {
        var events = db.UsageEvents.AsNoTracking()
            .Where(e => e.OrganizationId == selection.OrganizationId && e.Metric == selection.Metric && e.NotBillableReason == null);
        if (selection.WindowStart is { } windowStart && selection.WindowEnd is { } windowEnd)
        {
            events = events.Where(e => e.OccurredAt >= windowStart && e.OccurredAt < windowEnd);
            var periodStart = selection.PeriodStart;
            events = periodStart > windowStart ? events.Where(e => e.PeriodStart == periodStart) : events.Where(e => e.PeriodStart <= windowStart);
        }
        else
        {
            var periodStart = selection.PeriodStart;
            events = events.Where(e => e.PeriodStart == periodStart);
        }

        var rows = await events.Select(e => new { e.Quantity, e.OccurredAt, e.ReceivedAt, e.Id, e.PeriodEnd }).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return null;
        }

        var last = rows.OrderBy(r => r.OccurredAt).ThenBy(r => r.ReceivedAt).ThenBy(r => r.Id).Last();
        return new RollupAggregate(rows.Sum(r => r.Quantity), rows.Count, rows.Max(r => r.Quantity), last.Quantity, rows.Max(r => r.OccurredAt), rows.Min(r => r.PeriodEnd));
    }

    /// <summary>Makes the rows of one prefix carry <paramref name="target"/> (their sum for Sum and Count, the last row's value otherwise).</summary>
    private static async Task ApplyRollupValueAsync(BillingDbContext db, Organizations.Organization organization, UsageRollup rollup, MetricDefinition definition, string prefix, DateTimeOffset partStart, DateTimeOffset partEnd, long target, CancellationToken cancellationToken)
    {
        var rows = await db.MeterEventOutbox.AsNoTracking()
            .Where(m => m.OrganizationId == organization.Id && m.UsageReportId == null && m.Identifier.StartsWith(prefix))
            .Select(m => new { m.Id, m.Identifier, m.Value, m.Status, m.Attempts, m.LeaseOwner })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var ordered = rows.OrderBy(r => long.Parse(r.Identifier.AsSpan(prefix.Length), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var open = ordered.LastOrDefault(r => r.Status == OutboxStatus.Pending && r.Attempts == 0 && r.LeaseOwner == null);
        var frozen = ordered.Where(r => open is null || r.Id != open.Id).ToList();
        var additive = definition.Aggregation is MetricAggregation.Sum or MetricAggregation.Count;

        if (open is not null)
        {
            var value = additive ? target - frozen.Sum(r => r.Value) : target;
            var changed = await db.MeterEventOutbox
                .Where(m => m.Id == open.Id && m.Status == OutboxStatus.Pending && m.Attempts == 0 && m.LeaseOwner == null)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.Value, value), cancellationToken).ConfigureAwait(false);
            if (changed == 1)
            {
                return;
            }

            // A dispatcher claimed it meanwhile: it is frozen with the value it had.
            frozen = ordered;
        }

        long next;
        if (additive)
        {
            next = target - frozen.Sum(r => r.Value);
            if (next <= 0)
            {
                return;
            }
        }
        else
        {
            next = target;
            if (frozen.Count > 0 && frozen[^1].Value == target)
            {
                return;
            }
        }

        // Each row a second after the previous one, so a correction is Stripe's later event, but never past the part's end:
        // the timestamp must stay in the part's billing period.
        var seq = ordered.Count;
        var lastSecond = Math.Max(0, (long)Math.Ceiling((partEnd - partStart).TotalSeconds) - 1);
        var now = rollup.Now;
        db.MeterEventOutbox.Add(new MeterEventOutboxMessage
        {
            Id = Guid.CreateVersion7(now),
            UsageReportId = null,
            OrganizationId = organization.Id,
            EventName = definition.MeterEventName!,
            StripeCustomerId = organization.StripeCustomerId!,
            Value = next,
            Identifier = prefix + seq.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Timestamp = partStart.AddSeconds(Math.Min(seq, lastSecond)),
            Status = OutboxStatus.Pending,
            NextAttemptAt = rollup.WindowStart(partStart) + rollup.Window + rollup.Grace,
            CreatedAt = now,
        });
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One roll-up a batch touches: a part of a window (<see cref="Part"/>) or, for Max, a period.</summary>
    private sealed record RollupTarget(string Metric, DateTimeOffset PeriodStart, DateTimeOffset? Part, string LockKey);

    /// <summary>
    /// The ledger rows of one roll-up: a window's part (<see cref="WindowStart"/> set; <see cref="PeriodStart"/> is the part's
    /// start, and rows of periods that began before the window belong to the part starting with the window), or a whole period.
    /// </summary>
    private sealed record RollupSelection(Guid OrganizationId, string Metric, DateTimeOffset? WindowStart, DateTimeOffset? WindowEnd, DateTimeOffset PeriodStart);

    /// <summary>A roll-up's aggregates over its billable ledger rows.</summary>
    private sealed record RollupAggregate(decimal Sum, long Count, decimal Max, decimal Last, DateTimeOffset LatestAt, DateTimeOffset PeriodEnd);

    private static async Task<HashSet<string>> InsertEventsPostgresAsync(BillingDbContext db, IDbContextTransaction transaction, Guid organizationId, List<UsageEventRecord> events, CancellationToken cancellationToken)
    {
        const string Sql = """
            INSERT INTO billing.usage_events (id, organization_id, event_id, metric, quantity, occurred_at, received_at, source, properties, not_billable_reason, period_start, period_end)
            SELECT t.id, @organization_id, t.event_id, t.metric, t.quantity, t.occurred_at, t.received_at, t.source, t.properties, t.not_billable_reason, t.period_start, t.period_end
            FROM unnest(@ids, @event_ids, @metrics, @quantities, @occurred, @received, @sources, @properties, @reasons, @starts, @ends)
                AS t(id, event_id, metric, quantity, occurred_at, received_at, source, properties, not_billable_reason, period_start, period_end)
            ON CONFLICT (organization_id, event_id) DO NOTHING
            RETURNING event_id
            """;
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        using var command = new NpgsqlCommand(Sql, connection, (NpgsqlTransaction)transaction.GetDbTransaction());
        command.Parameters.Add(new NpgsqlParameter("organization_id", NpgsqlDbType.Uuid) { Value = organizationId });
        command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = events.Select(e => e.Id).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("event_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = events.Select(e => e.EventId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("metrics", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = events.Select(e => e.Metric).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("quantities", NpgsqlDbType.Array | NpgsqlDbType.Numeric) { Value = events.Select(e => e.Quantity).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("occurred", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = events.Select(e => e.OccurredAt).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("received", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = events.Select(e => e.ReceivedAt).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("sources", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = events.Select(e => e.Source).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("properties", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = events.Select(e => e.Properties).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("reasons", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = events.Select(e => e.NotBillableReason).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("starts", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = events.Select(e => e.PeriodStart).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("ends", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = events.Select(e => e.PeriodEnd).ToArray() });

        var inserted = new HashSet<string>(StringComparer.Ordinal);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            inserted.Add(reader.GetString(0));
        }

        return inserted;
    }

    private static async Task ApplyTotalPostgresAsync(BillingDbContext db, IDbContextTransaction transaction, Guid organizationId, TotalDelta delta, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // One atomic statement per (metric, period): concurrent writers queue on the row and each adds to what the other committed.
        var combine = TotalCombineSql(delta.Aggregation);
        var sql = $"""
            INSERT INTO billing.usage_totals AS t (organization_id, metric, period_start, period_end, total, event_count, last_event_at, updated_at)
            VALUES (@organization_id, @metric, @period_start, @period_end, @total, @event_count, @last_event_at, @updated_at)
            ON CONFLICT (organization_id, period_start, metric) DO UPDATE SET
                total = {combine},
                event_count = t.event_count + excluded.event_count,
                last_event_at = GREATEST(t.last_event_at, excluded.last_event_at),
                updated_at = excluded.updated_at
            """;
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        using var command = new NpgsqlCommand(sql, connection, (NpgsqlTransaction)transaction.GetDbTransaction());
        command.Parameters.Add(new NpgsqlParameter("organization_id", NpgsqlDbType.Uuid) { Value = organizationId });
        command.Parameters.Add(new NpgsqlParameter("metric", NpgsqlDbType.Text) { Value = delta.Metric });
        command.Parameters.Add(new NpgsqlParameter("period_start", NpgsqlDbType.TimestampTz) { Value = delta.PeriodStart });
        command.Parameters.Add(new NpgsqlParameter("period_end", NpgsqlDbType.TimestampTz) { Value = delta.PeriodEnd });
        command.Parameters.Add(new NpgsqlParameter("total", NpgsqlDbType.Numeric) { Value = delta.Total });
        command.Parameters.Add(new NpgsqlParameter("event_count", NpgsqlDbType.Bigint) { Value = delta.Count });
        command.Parameters.Add(new NpgsqlParameter("last_event_at", NpgsqlDbType.TimestampTz) { Value = delta.LastEventAt });
        command.Parameters.Add(new NpgsqlParameter("updated_at", NpgsqlDbType.TimestampTz) { Value = now.ToUniversalTime() });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How an upsert of <c>billing.usage_totals AS t</c> combines the stored total with the new one (<c>excluded</c>).</summary>
    private static string TotalCombineSql(MetricAggregation aggregation) => aggregation switch
    {
        MetricAggregation.Max => "GREATEST(t.total, excluded.total)",
        MetricAggregation.Last => "CASE WHEN t.last_event_at IS NULL OR excluded.last_event_at >= t.last_event_at THEN excluded.total ELSE t.total END",
        _ => "t.total + excluded.total",
    };

    // SQLite is the single-process demo: RowLocks' process-wide gate makes this the only writer, so reading and updating is safe there.
    private static async Task<HashSet<string>> InsertEventsSqliteAsync(BillingDbContext db, Guid organizationId, List<UsageEventRecord> events, CancellationToken cancellationToken)
    {
        var ids = events.Select(e => e.EventId).ToList();
        var existing = await db.UsageEvents.Where(e => e.OrganizationId == organizationId && ids.Contains(e.EventId))
            .Select(e => e.EventId).ToListAsync(cancellationToken).ConfigureAwait(false);
        var inserted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in events.Where(e => !existing.Contains(e.EventId, StringComparer.Ordinal)))
        {
            db.UsageEvents.Add(e);
            inserted.Add(e.EventId);
        }

        return inserted;
    }

    private static async Task ApplyTotalSqliteAsync(BillingDbContext db, Guid organizationId, TotalDelta delta, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var total = await db.UsageTotals.FirstOrDefaultAsync(
            t => t.OrganizationId == organizationId && t.PeriodStart == delta.PeriodStart && t.Metric == delta.Metric, cancellationToken).ConfigureAwait(false);
        if (total is null)
        {
            db.UsageTotals.Add(new UsagePeriodTotal
            {
                OrganizationId = organizationId,
                Metric = delta.Metric,
                PeriodStart = delta.PeriodStart,
                PeriodEnd = delta.PeriodEnd,
                Total = delta.Total,
                EventCount = delta.Count,
                LastEventAt = delta.LastEventAt,
                UpdatedAt = now,
            });
            return;
        }

        total.Total = delta.Aggregation switch
        {
            MetricAggregation.Max => Math.Max(total.Total, delta.Total),
            MetricAggregation.Last => total.LastEventAt is null || delta.LastEventAt >= total.LastEventAt ? delta.Total : total.Total,
            _ => total.Total + delta.Total,
        };
        total.EventCount += delta.Count;
        total.LastEventAt = total.LastEventAt is { } last && last > delta.LastEventAt ? last : delta.LastEventAt;
        total.UpdatedAt = now;
    }

    /// <summary>What one batch adds to one (metric, period) total.</summary>
    private sealed record TotalDelta(string Metric, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, MetricAggregation Aggregation, decimal Total, long Count, DateTimeOffset LastEventAt)
    {
        public static TotalDelta From(string metric, DateTimeOffset start, DateTimeOffset end, MetricAggregation aggregation, List<UsageEventRecord> events)
        {
            // The latest timestamp wins; among equal timestamps, the one given last.
            var latest = events[0];
            foreach (var e in events)
            {
                if (e.OccurredAt >= latest.OccurredAt)
                {
                    latest = e;
                }
            }

            var total = aggregation switch
            {
                MetricAggregation.Count => events.Count,
                MetricAggregation.Max => events.Max(e => e.Quantity),
                MetricAggregation.Last => latest.Quantity,
                _ => events.Sum(e => e.Quantity),
            };
            return new TotalDelta(metric, start, end, aggregation, total, events.Count, latest.OccurredAt);
        }
    }
}
