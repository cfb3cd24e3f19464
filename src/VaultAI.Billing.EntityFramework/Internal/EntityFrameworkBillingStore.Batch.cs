using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>
/// Usage events on PostgreSQL when nothing goes to Stripe's outbox (no roll-up asked for, or the organization is not linked):
/// one statement inserts the batch with <c>unnest</c> of arrays, sums the new events per (metric, period) and upserts each
/// total once. The organization is checked in the same statement, as on the report path.
/// </summary>
internal sealed partial class EntityFrameworkBillingStore
{
    /// <summary>The new event ids, or <see langword="null"/> when this path does not apply and the general one must run.</summary>
    private async Task<IReadOnlyCollection<string>?> TryAppendUsageEventsDirectAsync(
        Guid organizationId,
        IReadOnlyList<UsageEventRecord> events,
        IReadOnlyDictionary<string, MetricAggregation> aggregations,
        UsageRollup? rollup,
        CancellationToken cancellationToken)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (db.IsSqlite)
        {
            return null;
        }

        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        _snapshots.TryGetValue(organizationId, out var organization);
        for (var attempt = 1; attempt <= MaxConflictRetries; attempt++)
        {
            if (organization is null)
            {
                organization = await OrganizationById(db, organizationId, cancellationToken).ConfigureAwait(false)
                    ?? throw new BillingException(404, "organization_not_found", $"No organization {organizationId}; register first.", "organization_id");
                Remember(organization);
            }

            if (rollup is not null && organization.IsLinked && organization.Status != OrganizationStatus.Canceled && organization.StripeCustomerId is not null)
            {
                return null;
            }

            foreach (var e in events)
            {
                var period = UsagePeriod.For(organization, e.OccurredAt);
                e.OrganizationId = organizationId;
                e.OccurredAt = e.OccurredAt.ToUniversalTime();
                e.ReceivedAt = e.ReceivedAt.ToUniversalTime();
                e.PeriodStart = period.Start;
                e.PeriodEnd = period.End;
                e.NotBillableReason = rollup is not null && rollup.Metrics.ContainsKey(e.Metric) && !rollup.IsBillable(rollup.WindowStart(e.OccurredAt))
                    ? UsageRollup.OutsideStripeWindowReason
                    : null;
            }

            try
            {
                var (matched, inserted) = await ExecuteAppendAsync(connection, organization, events, aggregations, cancellationToken).ConfigureAwait(false);
                if (matched)
                {
                    return inserted;
                }

                // The organization changed (a link, a new period) since it was read: read it again and decide again.
                _snapshots.TryRemove(organizationId, out _);
                organization = null;
            }
            catch (PostgresException exception) when (attempt < MaxConflictRetries && exception.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                // One statement: nothing of it was written. Run it again.
            }
        }

        return null;
    }

    private static async Task<(bool Matched, HashSet<string> Inserted)> ExecuteAppendAsync(
        NpgsqlConnection connection,
        Organization organization,
        IReadOnlyList<UsageEventRecord> events,
        IReadOnlyDictionary<string, MetricAggregation> aggregations,
        CancellationToken cancellationToken)
    {
        // Events are inserted in event id order and totals upserted in (metric, period) order, as on the general path, so
        // concurrent writers never wait on each other in a cycle. Among new events of one (metric, period), the latest timestamp
        // is the last value, and among equal timestamps the one given last (its position in the batch, ord).
        const string Sql = """
            WITH org AS (
                SELECT id FROM billing.organizations
                WHERE id = @organization_id AND version = @version AND status = @status
                  AND stripe_customer_id IS NOT DISTINCT FROM @customer_id
                  AND stripe_subscription_id IS NOT DISTINCT FROM @subscription_id
                  AND plan_key IS NOT DISTINCT FROM @plan_key
                  AND current_period_start IS NOT DISTINCT FROM @current_period_start
                  AND current_period_end IS NOT DISTINCT FROM @current_period_end
                FOR KEY SHARE
            ),
            input AS (
                SELECT * FROM unnest(@ids, @event_ids, @metrics, @quantities, @occurred, @received, @sources, @properties, @reasons, @starts, @ends)
                    WITH ORDINALITY AS t(id, event_id, metric, quantity, occurred_at, received_at, source, properties, not_billable_reason, period_start, period_end, ord)
            ),
            inserted AS (
                INSERT INTO billing.usage_events (id, organization_id, event_id, metric, quantity, occurred_at, received_at, source, properties, not_billable_reason, period_start, period_end)
                SELECT i.id, org.id, i.event_id, i.metric, i.quantity, i.occurred_at, i.received_at, i.source, i.properties, i.not_billable_reason, i.period_start, i.period_end
                FROM input i CROSS JOIN org
                ORDER BY i.event_id
                ON CONFLICT (organization_id, event_id) DO NOTHING
                RETURNING event_id
            ),
            aggregations AS (
                SELECT * FROM unnest(@aggregation_metrics, @aggregation_kinds) AS a(metric, kind)
            ),
            delta AS (
                SELECT i.metric, i.period_start, max(i.period_end) AS period_end, COALESCE(max(a.kind), 'Sum') AS kind,
                       sum(i.quantity) AS sum_quantity, count(*) AS event_count, max(i.quantity) AS max_quantity,
                       (array_agg(i.quantity ORDER BY i.occurred_at DESC, i.ord DESC))[1] AS last_quantity,
                       max(i.occurred_at) AS last_event_at
                FROM input i
                JOIN inserted n ON n.event_id = i.event_id
                LEFT JOIN aggregations a ON a.metric = i.metric
                GROUP BY i.metric, i.period_start
            ),
            totals AS (
                INSERT INTO billing.usage_totals AS t (organization_id, metric, period_start, period_end, total, event_count, last_event_at, updated_at)
                SELECT @organization_id, d.metric, d.period_start, d.period_end,
                       CASE d.kind WHEN 'Count' THEN d.event_count WHEN 'Max' THEN d.max_quantity WHEN 'Last' THEN d.last_quantity ELSE d.sum_quantity END,
                       d.event_count, d.last_event_at, @now
                FROM delta d
                ORDER BY d.metric, d.period_start
                ON CONFLICT (organization_id, period_start, metric) DO UPDATE SET
                    total = CASE (SELECT COALESCE(max(a.kind), 'Sum') FROM aggregations a WHERE a.metric = excluded.metric)
                        WHEN 'Max' THEN GREATEST(t.total, excluded.total)
                        WHEN 'Last' THEN CASE WHEN t.last_event_at IS NULL OR excluded.last_event_at >= t.last_event_at THEN excluded.total ELSE t.total END
                        ELSE t.total + excluded.total END,
                    event_count = t.event_count + excluded.event_count,
                    last_event_at = GREATEST(t.last_event_at, excluded.last_event_at),
                    updated_at = excluded.updated_at
            )
            SELECT (SELECT count(*) FROM org)::int,
                   (SELECT COALESCE(array_agg(i.ord::int), '{}') FROM input i WHERE NOT EXISTS (SELECT 1 FROM inserted n WHERE n.event_id = i.event_id))
            """;
        using var command = new NpgsqlCommand(Sql, connection);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter("organization_id", NpgsqlDbType.Uuid) { Value = organization.Id });
        p.Add(new NpgsqlParameter("version", NpgsqlDbType.Bigint) { Value = organization.Version });
        p.Add(new NpgsqlParameter("status", NpgsqlDbType.Text) { Value = organization.Status });
        p.Add(Text("customer_id", organization.StripeCustomerId));
        p.Add(Text("subscription_id", organization.StripeSubscriptionId));
        p.Add(Text("plan_key", organization.PlanKey));
        p.Add(Timestamp("current_period_start", organization.CurrentPeriodStart));
        p.Add(Timestamp("current_period_end", organization.CurrentPeriodEnd));
        p.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = events.Select(e => e.Id).ToArray() });
        p.Add(new NpgsqlParameter("event_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = events.Select(e => e.EventId).ToArray() });
        p.Add(new NpgsqlParameter("metrics", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = events.Select(e => e.Metric).ToArray() });
        p.Add(new NpgsqlParameter("quantities", NpgsqlDbType.Array | NpgsqlDbType.Numeric) { Value = events.Select(e => e.Quantity).ToArray() });
        p.Add(new NpgsqlParameter("occurred", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = events.Select(e => e.OccurredAt).ToArray() });
        p.Add(new NpgsqlParameter("received", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = events.Select(e => e.ReceivedAt).ToArray() });
        p.Add(new NpgsqlParameter("sources", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = events.Select(e => e.Source).ToArray() });
        p.Add(new NpgsqlParameter("properties", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = events.Select(e => e.Properties).ToArray() });
        p.Add(new NpgsqlParameter("reasons", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = events.Select(e => e.NotBillableReason).ToArray() });
        p.Add(new NpgsqlParameter("starts", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = events.Select(e => e.PeriodStart).ToArray() });
        p.Add(new NpgsqlParameter("ends", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = events.Select(e => e.PeriodEnd).ToArray() });
        p.Add(new NpgsqlParameter("aggregation_metrics", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = aggregations.Keys.ToArray() });
        p.Add(new NpgsqlParameter("aggregation_kinds", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = aggregations.Values.Select(a => a.ToString()).ToArray() });
        p.Add(Timestamp("now", events[0].ReceivedAt));

        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var matched = reader.GetInt32(0) == 1;

        // The answer names the events that were not inserted (1-based positions), usually none: a batch's new ids are not
        // sent back as text, and the set below holds the caller's own strings.
        var notInserted = reader.GetFieldValue<int[]>(1);
        var inserted = new HashSet<string>(events.Count, StringComparer.Ordinal);
        var skip = new HashSet<int>(notInserted);
        for (var i = 0; i < events.Count; i++)
        {
            if (!skip.Contains(i + 1))
            {
                inserted.Add(events[i].EventId);
            }
        }

        return (matched, inserted);
    }
}
