using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;
using VaultAI.Billing.Entitlements.Internal;
using VaultAI.Billing.Metering;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>Reservations against hard limits, kept next to the period total they are checked with, and the check's read.</summary>
internal sealed partial class EntityFrameworkBillingStore : IQuotaReservations, IEntitlementReads, IDisposable
{
    // The organization and its totals of one metric for the periods a check can count in, by primary keys.
    private const string EntitlementSql = """
        SELECT o.status, o.plan_key, o.past_due_since, o.updated_at, o.current_period_start, o.current_period_end,
               o.stripe_customer_id, o.stripe_subscription_id, t.period_start, t.total
        FROM billing.organizations AS o
        LEFT JOIN billing.usage_totals AS t
          ON t.organization_id = o.id AND t.metric = @metric
         AND t.period_start IN (@month, o.current_period_start, o.current_period_end)
        WHERE o.id = @organization_id
        """;

    // The same read for several keys in one statement (see EntitlementReadBatcher): the single-key read once per key, its
    // rows numbered by the key's place in the arrays; an organization that does not exist gives no row. OFFSET 0 keeps the
    // per-key read a subquery the planner cannot merge into a join: merged, it hashed the keys against a sequential scan
    // of all organizations on a table of a thousand (checked with EXPLAIN ANALYZE on a generic plan); kept, each key is
    // two primary-key lookups whatever the table's size.
    private const string EntitlementBatchSql = """
        SELECT k.i, r.status, r.plan_key, r.past_due_since, r.updated_at, r.current_period_start, r.current_period_end,
               r.stripe_customer_id, r.stripe_subscription_id, r.period_start, r.total
        FROM unnest(@organization_ids, @metrics, @months) WITH ORDINALITY AS k(organization_id, metric, month, i)
        CROSS JOIN LATERAL (
            SELECT o.status, o.plan_key, o.past_due_since, o.updated_at, o.current_period_start, o.current_period_end,
                   o.stripe_customer_id, o.stripe_subscription_id, t.period_start, t.total
            FROM billing.organizations AS o
            LEFT JOIN billing.usage_totals AS t
              ON t.organization_id = o.id AND t.metric = k.metric
             AND t.period_start IN (k.month, o.current_period_start, o.current_period_end)
            WHERE o.id = k.organization_id
            OFFSET 0) AS r
        """;

    // Queries the entitlement reads run at once on PostgreSQL; reads arriving while all run are coalesced into the next.
    private const int EntitlementReadsInFlight = 2;

    // The most distinct keys in one coalesced query.
    private const int EntitlementBatchSize = 64;

    // The entitlement read runs before every guarded request, so on PostgreSQL it bypasses EF (whose context setup and query
    // pipeline cost several times the round trip). Set by the first read: see EntitlementSourceAsync.
    private EntitlementReadSource? _entitlementSource;

    /// <summary>The PostgreSQL read's batcher, once the first read has set it up (for tests).</summary>
    internal EntitlementReadBatcher? EntitlementBatcher => Volatile.Read(ref _entitlementSource)?.Batcher;

    /// <summary>
    /// On PostgreSQL, concurrent reads are coalesced (<see cref="EntitlementReadBatcher"/>): a read that arrives while the
    /// store's reads are at their bound waits for the next query, which answers up to 64 keys at once. A read only joins
    /// a batch not sent yet, so its answer includes all usage committed before it was called.
    /// </summary>
    public async Task<EntitlementSnapshot?> ReadForEntitlementAsync(Guid organizationId, string metric, DateTimeOffset monthStart, CancellationToken cancellationToken)
    {
        var month = monthStart.ToUniversalTime();
        var source = Volatile.Read(ref _entitlementSource) ?? await EntitlementSourceAsync(cancellationToken).ConfigureAwait(false);
        if (source.Batcher is { } batcher)
        {
            return await batcher.ReadAsync(new EntitlementReadKey(organizationId, metric, month), cancellationToken).ConfigureAwait(false);
        }

        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        // Two reads by key: the organization, then at most three rows of usage_totals by their primary key. (One statement
        // with the totals as a correlated collection needs SQL APPLY, which SQLite does not have: it failed every request.)
        var organization = await db.Organizations.AsNoTracking()
            .FirstOrDefaultAsync(o => o.Id == organizationId, cancellationToken).ConfigureAwait(false);
        if (organization is null)
        {
            return null;
        }

        var periodStart = organization.CurrentPeriodStart?.ToUniversalTime() ?? month;
        var periodEnd = organization.CurrentPeriodEnd?.ToUniversalTime() ?? month;
        var rows = await db.UsageTotals.AsNoTracking()
            .Where(t => t.OrganizationId == organizationId && t.Metric == metric
                && (t.PeriodStart == month || t.PeriodStart == periodStart || t.PeriodStart == periodEnd))
            .Select(t => new { t.PeriodStart, t.Total })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        var totals = new Dictionary<DateTimeOffset, decimal>();
        foreach (var row in rows)
        {
            totals[row.PeriodStart.ToUniversalTime()] = row.Total;
        }

        return new EntitlementSnapshot(organization, totals);
    }

    /// <summary>
    /// The query behind <see cref="EntitlementReadBatcher"/> on PostgreSQL: through the read's own data source, or else a
    /// clone of the context's connection with explicitly prepared statements. One key uses the single-key statement (the
    /// common case at low load, and the cheaper one); several use the batch statement.
    /// </summary>
    private static async Task<EntitlementSnapshot?[]> ReadForEntitlementPostgresAsync(EntitlementReadSource source, IReadOnlyList<EntitlementReadKey> keys, CancellationToken cancellationToken)
    {
        var sql = keys.Count == 1 ? EntitlementSql : EntitlementBatchSql;
        if (source.DataSource is { } dataSource)
        {
            // The data source leases a pooled connection for the command and prepares the statement on each physical
            // connection automatically (after two uses), so no Prepare round of its own per request.
            using var command = dataSource.CreateCommand(sql);
            return await ReadForEntitlementPostgresAsync(command, prepare: false, keys, cancellationToken).ConfigureAwait(false);
        }

        var connection = (NpgsqlConnection)((ICloneable)source.Template!).Clone();
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var command = new NpgsqlCommand(sql, connection);
            return await ReadForEntitlementPostgresAsync(command, prepare: true, keys, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The read in plain SQL: this runs before every guarded request, and EF's query pipeline and materialization cost
    /// several times the round trip itself. Only the columns a decision reads are loaded.
    /// </summary>
    private static async Task<EntitlementSnapshot?[]> ReadForEntitlementPostgresAsync(NpgsqlCommand command, bool prepare, IReadOnlyList<EntitlementReadKey> keys, CancellationToken cancellationToken)
    {
        // Typed parameters: the values are not boxed.
        var single = keys.Count == 1;
        if (single)
        {
            command.Parameters.Add(new NpgsqlParameter<Guid>("organization_id", NpgsqlDbType.Uuid) { TypedValue = keys[0].OrganizationId });
            command.Parameters.Add(new NpgsqlParameter<string>("metric", NpgsqlDbType.Text) { TypedValue = keys[0].Metric });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("month", NpgsqlDbType.TimestampTz) { TypedValue = keys[0].MonthStart });
        }
        else
        {
            var organizationIds = new Guid[keys.Count];
            var metrics = new string[keys.Count];
            var months = new DateTimeOffset[keys.Count];
            for (var i = 0; i < keys.Count; i++)
            {
                (organizationIds[i], metrics[i], months[i]) = keys[i];
            }

            command.Parameters.Add(new NpgsqlParameter<Guid[]>("organization_ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { TypedValue = organizationIds });
            command.Parameters.Add(new NpgsqlParameter<string[]>("metrics", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = metrics });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]>("months", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = months });
        }

        if (prepare)
        {
            // A clone of the context's connection: prepared statements outlive the pooled connection's lease, so after the
            // first time on a physical connection this is a lookup, and PostgreSQL skips parsing and planning.
            await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
        }

        var organizations = new Organizations.Organization?[keys.Count];
        var totals = new Dictionary<DateTimeOffset, decimal>?[keys.Count];
        // The batch statement's columns come after its key number.
        var at = single ? 0 : 1;
        // Disposed asynchronously: a reader's Dispose reads what is left of the response, and must not block a thread on it.
        var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleResult, cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // WITH ORDINALITY numbers the keys from 1, in the arrays' order.
                var index = single ? 0 : (int)reader.GetInt64(0) - 1;
                organizations[index] ??= new Organizations.Organization
                {
                    Id = keys[index].OrganizationId,
                    Status = reader.GetString(at),
                    PlanKey = reader.IsDBNull(at + 1) ? null : reader.GetString(at + 1),
                    PastDueSince = reader.IsDBNull(at + 2) ? null : reader.GetFieldValue<DateTimeOffset>(at + 2),
                    UpdatedAt = reader.GetFieldValue<DateTimeOffset>(at + 3),
                    CurrentPeriodStart = reader.IsDBNull(at + 4) ? null : reader.GetFieldValue<DateTimeOffset>(at + 4),
                    CurrentPeriodEnd = reader.IsDBNull(at + 5) ? null : reader.GetFieldValue<DateTimeOffset>(at + 5),
                    StripeCustomerId = reader.IsDBNull(at + 6) ? null : reader.GetString(at + 6),
                    StripeSubscriptionId = reader.IsDBNull(at + 7) ? null : reader.GetString(at + 7),
                };
                if (!reader.IsDBNull(at + 8))
                {
                    (totals[index] ??= new Dictionary<DateTimeOffset, decimal>(3))[reader.GetFieldValue<DateTimeOffset>(at + 8).ToUniversalTime()] = reader.GetDecimal(at + 9);
                }
            }
        }

        var snapshots = new EntitlementSnapshot?[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            snapshots[i] = organizations[i] is { } organization ? new EntitlementSnapshot(organization, totals[i] ?? NoTotals) : null;
        }

        return snapshots;
    }

    private static readonly IReadOnlyDictionary<DateTimeOffset, decimal> NoTotals = new Dictionary<DateTimeOffset, decimal>();

    /// <summary>
    /// Decides, once, how the check reads on this store. On PostgreSQL with a known connection string: a data source of its
    /// own (the same string, with automatic preparation), whose commands need no connection object cloned per read.
    /// (Npgsql's multiplexing was tried: it allocated more per read and started more threads; see bench/README.md §5.)
    /// If that cannot connect (for example, the store's data source supplies the password, and the string has none) or the
    /// string is unknown (the context was given a connection or a data source): a clone of the context's connection (same
    /// data source, pool and credentials) with an explicitly prepared statement. On SQLite: EF queries.
    /// </summary>
    private async ValueTask<EntitlementReadSource> EntitlementSourceAsync(CancellationToken cancellationToken)
    {
        EntitlementReadSource source;
        using (var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false))
        {
            if (db.IsSqlite || db.Database.GetDbConnection() is not NpgsqlConnection connection)
            {
                source = new EntitlementReadSource(null, null);
            }
            else
            {
                var connectionString = RelationalOptionsExtension.Extract(db.GetService<IDbContextOptions>()).ConnectionString;
                var template = (NpgsqlConnection)((ICloneable)connection).Clone();
                source = new EntitlementReadSource(connectionString is null ? null : await TryOpenEntitlementDataSourceAsync(connectionString, cancellationToken).ConfigureAwait(false), template);
            }
        }

        if (Interlocked.CompareExchange(ref _entitlementSource, source, null) is { } first)
        {
            // Another read decided first (concurrent first requests): keep one data source.
            source.DataSource?.Dispose();
            return first;
        }

        return source;
    }

    private static async Task<NpgsqlDataSource?> TryOpenEntitlementDataSourceAsync(string connectionString, CancellationToken cancellationToken)
    {
        // No reset on close: a pooled connection that has prepared statements is otherwise reset on each lease by a batch of
        // seven statements (SET SESSION AUTHORIZATION DEFAULT, RESET ALL, CLOSE ALL, UNLISTEN, the advisory unlocks,
        // DISCARD SEQUENCES and TEMP) sent ahead of the next query: PostgreSQL ran a second transaction for every read
        // (pg_stat_database). This data source only ever runs the reads' SELECTs, which leave no session state to reset.
        var settings = new NpgsqlConnectionStringBuilder(connectionString) { AutoPrepareMinUsages = 2, NoResetOnClose = true };
        settings.MaxAutoPrepare = Math.Max(settings.MaxAutoPrepare, 4);
        var dataSource = NpgsqlDataSource.Create(settings);
        try
        {
            using var probe = dataSource.CreateCommand("SELECT 1");
            await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return dataSource;
        }
        catch (NpgsqlException)
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>Closes the entitlement read's own data source, if it has one.</summary>
    public void Dispose() => Volatile.Read(ref _entitlementSource)?.DataSource?.Dispose();

    /// <summary>
    /// How the check reads: on PostgreSQL through <see cref="Batcher"/>, whose queries use <see cref="DataSource"/>, else a
    /// clone of <see cref="Template"/>; on SQLite (both null, no batcher) through EF.
    /// </summary>
    private sealed class EntitlementReadSource
    {
        public EntitlementReadSource(NpgsqlDataSource? dataSource, NpgsqlConnection? template)
        {
            DataSource = dataSource;
            Template = template;
            Batcher = template is null
                ? null
                : new EntitlementReadBatcher((keys, cancellationToken) => ReadForEntitlementPostgresAsync(this, keys, cancellationToken), EntitlementReadsInFlight, EntitlementBatchSize);
        }

        public NpgsqlDataSource? DataSource { get; }

        public NpgsqlConnection? Template { get; }

        public EntitlementReadBatcher? Batcher { get; }
    }

    public async Task<bool> TryReserveAsync(Guid organizationId, string metric, DateTimeOffset periodStart, DateTimeOffset periodEnd, decimal quantity, decimal limit, CancellationToken cancellationToken)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (db.IsSqlite)
        {
            // SQLite has one writer: under the process-wide gate, read, compare and write cannot interleave.
            using var gate = await RowLocks.EnterAsync(db, cancellationToken).ConfigureAwait(false);
            var start = periodStart.ToUniversalTime();
            var row = await db.UsageTotals.FirstOrDefaultAsync(t => t.OrganizationId == organizationId && t.PeriodStart == start && t.Metric == metric, cancellationToken).ConfigureAwait(false);
            if ((row?.Total ?? 0m) + (row?.Reserved ?? 0m) + quantity > limit)
            {
                return false;
            }

            if (row is null)
            {
                db.UsageTotals.Add(new UsagePeriodTotal { OrganizationId = organizationId, Metric = metric, PeriodStart = start, PeriodEnd = periodEnd.ToUniversalTime(), Reserved = quantity, UpdatedAt = DateTimeOffset.UtcNow });
            }
            else
            {
                row.Reserved += quantity;
            }

            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }

        // One statement: the row is locked while the condition is evaluated on its latest committed version (recorded total
        // and reservations of other requests alike), so two requests can never both take the last unit.
        const string Sql = """
            INSERT INTO billing.usage_totals AS t (organization_id, metric, period_start, period_end, total, event_count, last_event_at, updated_at, reserved)
            SELECT @organization_id, @metric, @period_start, @period_end, 0, 0, NULL, now(), @quantity
            WHERE @quantity <= @limit
            ON CONFLICT (organization_id, period_start, metric) DO UPDATE SET reserved = t.reserved + excluded.reserved
            WHERE t.total + t.reserved + excluded.reserved <= @limit
            RETURNING 1
            """;
        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        using var command = new NpgsqlCommand(Sql, (NpgsqlConnection)db.Database.GetDbConnection());
        command.Parameters.Add(new NpgsqlParameter("organization_id", NpgsqlDbType.Uuid) { Value = organizationId });
        command.Parameters.Add(new NpgsqlParameter("metric", NpgsqlDbType.Text) { Value = metric });
        command.Parameters.Add(new NpgsqlParameter("period_start", NpgsqlDbType.TimestampTz) { Value = periodStart.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter("period_end", NpgsqlDbType.TimestampTz) { Value = periodEnd.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter("quantity", NpgsqlDbType.Numeric) { Value = quantity });
        command.Parameters.Add(new NpgsqlParameter("limit", NpgsqlDbType.Numeric) { Value = limit });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    public async Task ReleaseAsync(QuotaReservation reservation, CancellationToken cancellationToken)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        using var gate = await RowLocks.EnterAsync(db, cancellationToken).ConfigureAwait(false);
        await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One statement on PostgreSQL; on SQLite, the change saved below.
        await ReleaseInTransactionAsync(db, null, reservation, cancellationToken).ConfigureAwait(false);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyCollection<string>> AppendUsageEventsAndReleaseAsync(
        Guid organizationId,
        IReadOnlyList<UsageEventRecord> events,
        IReadOnlyDictionary<string, MetricAggregation> aggregations,
        UsageRollup? rollup,
        QuotaReservation reservation,
        CancellationToken cancellationToken) =>
        // Always the general path: its transaction also carries the release (the single-statement batch path does not).
        AppendInTransactionAsync(organizationId, events, aggregations, rollup, reservation, cancellationToken);

    /// <summary>
    /// Subtracts a reservation from its period's reserved amount (never below 0), inside the caller's transaction if it has
    /// one. On SQLite the caller holds the process-wide writer gate and saves the change.
    /// </summary>
    private static async Task ReleaseInTransactionAsync(BillingDbContext db, IDbContextTransaction? transaction, QuotaReservation reservation, CancellationToken cancellationToken)
    {
        var start = reservation.PeriodStart.ToUniversalTime();
        if (db.IsSqlite)
        {
            // A row the caller already loaded in this context comes back as the same tracked instance, with its pending changes.
            var row = await db.UsageTotals.FirstOrDefaultAsync(t => t.OrganizationId == reservation.OrganizationId && t.PeriodStart == start && t.Metric == reservation.Metric, cancellationToken).ConfigureAwait(false);
            if (row is not null)
            {
                row.Reserved = Math.Max(0m, row.Reserved - reservation.Quantity);
            }

            return;
        }

        const string Sql = """
            UPDATE billing.usage_totals SET reserved = GREATEST(reserved - @quantity, 0)
            WHERE organization_id = @organization_id AND period_start = @period_start AND metric = @metric
            """;
        using var command = new NpgsqlCommand(Sql, (NpgsqlConnection)db.Database.GetDbConnection(), (NpgsqlTransaction?)transaction?.GetDbTransaction());
        command.Parameters.Add(new NpgsqlParameter("organization_id", NpgsqlDbType.Uuid) { Value = reservation.OrganizationId });
        command.Parameters.Add(new NpgsqlParameter("metric", NpgsqlDbType.Text) { Value = reservation.Metric });
        command.Parameters.Add(new NpgsqlParameter("period_start", NpgsqlDbType.TimestampTz) { Value = start });
        command.Parameters.Add(new NpgsqlParameter("quantity", NpgsqlDbType.Numeric) { Value = reservation.Quantity });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
