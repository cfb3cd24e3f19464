using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using VaultAI.Billing.Entitlements.Internal;
using VaultAI.Billing.Metering;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>Reservations against hard limits, kept next to the period total they are checked with, and the check's read.</summary>
internal sealed partial class EntityFrameworkBillingStore : IQuotaReservations, IEntitlementReads
{
    // The entitlement read runs before every guarded request. A fresh context per read cost more CPU than the query itself
    // (EF resolves the context's services and model for each new context, and asks the provider's name through reflection),
    // so on PostgreSQL the read opens a clone of a context's connection instead: same data source, pool and credentials.
    // Both fields are set by the first read; on SQLite the read stays an EF query (_entitlementThroughEf).
    private NpgsqlConnection? _entitlementConnection;
    private bool _entitlementThroughEf;

    public async Task<EntitlementSnapshot?> ReadForEntitlementAsync(Guid organizationId, string metric, DateTimeOffset monthStart, CancellationToken cancellationToken)
    {
        var month = monthStart.ToUniversalTime();
        if (!_entitlementThroughEf && await EntitlementConnectionAsync(cancellationToken).ConfigureAwait(false) is { } template)
        {
            var connection = (NpgsqlConnection)((ICloneable)template).Clone();
            await using (connection.ConfigureAwait(false))
            {
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                return await ReadForEntitlementPostgresAsync(connection, organizationId, metric, month, cancellationToken).ConfigureAwait(false);
            }
        }

        // Not PostgreSQL (the SQLite demo): two reads, the organization then its totals, since SQLite cannot run the
        // correlated sub-query one statement would need (EF asks for an APPLY).
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var organization = await db.Organizations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == organizationId, cancellationToken).ConfigureAwait(false);
        if (organization is null)
        {
            return null;
        }

        var (start, end) = (organization.CurrentPeriodStart, organization.CurrentPeriodEnd);
        var totals = await db.UsageTotals.AsNoTracking()
            .Where(t => t.OrganizationId == organizationId && t.Metric == metric && (t.PeriodStart == month || t.PeriodStart == start || t.PeriodStart == end))
            .Select(t => new { t.PeriodStart, t.Total })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return new EntitlementSnapshot(organization, totals.ToDictionary(t => t.PeriodStart.ToUniversalTime(), t => t.Total));
    }

    /// <summary>
    /// The same read in plain SQL: this runs before every guarded request, and EF's query pipeline and materialization cost
    /// several times the round trip itself. Only the columns a decision reads are loaded.
    /// </summary>
    private static async Task<EntitlementSnapshot?> ReadForEntitlementPostgresAsync(NpgsqlConnection connection, Guid organizationId, string metric, DateTimeOffset month, CancellationToken cancellationToken)
    {
        const string Sql = """
            SELECT o.status, o.plan_key, o.past_due_since, o.updated_at, o.current_period_start, o.current_period_end,
                   o.stripe_customer_id, o.stripe_subscription_id, t.period_start, t.total
            FROM billing.organizations AS o
            LEFT JOIN billing.usage_totals AS t
              ON t.organization_id = o.id AND t.metric = @metric
             AND t.period_start IN (@month, o.current_period_start, o.current_period_end)
            WHERE o.id = @organization_id
            """;
        using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.Add(new NpgsqlParameter("organization_id", NpgsqlDbType.Uuid) { Value = organizationId });
        command.Parameters.Add(new NpgsqlParameter("metric", NpgsqlDbType.Text) { Value = metric });
        command.Parameters.Add(new NpgsqlParameter("month", NpgsqlDbType.TimestampTz) { Value = month });
        // Prepared statements outlive the pooled connection's lease: after the first time on a physical connection this is
        // a lookup, and PostgreSQL skips parsing and planning.
        await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
        Organizations.Organization? organization = null;
        var totals = new Dictionary<DateTimeOffset, decimal>();
        // Disposed asynchronously: a reader's Dispose reads what is left of the response, and must not block a thread on it.
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                organization ??= new Organizations.Organization
                {
                    Id = organizationId,
                    Status = reader.GetString(0),
                    PlanKey = reader.IsDBNull(1) ? null : reader.GetString(1),
                    PastDueSince = reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
                    UpdatedAt = reader.GetFieldValue<DateTimeOffset>(3),
                    CurrentPeriodStart = reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                    CurrentPeriodEnd = reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                    StripeCustomerId = reader.IsDBNull(6) ? null : reader.GetString(6),
                    StripeSubscriptionId = reader.IsDBNull(7) ? null : reader.GetString(7),
                };
                if (!reader.IsDBNull(8))
                {
                    totals[reader.GetFieldValue<DateTimeOffset>(8).ToUniversalTime()] = reader.GetDecimal(9);
                }
            }
        }

        return organization is null ? null : new EntitlementSnapshot(organization, totals);
    }

    /// <summary>
    /// The connection the PostgreSQL reads clone, taken once from a context (never opened itself); null on SQLite or when
    /// the context's connection is not Npgsql's.
    /// </summary>
    private async ValueTask<NpgsqlConnection?> EntitlementConnectionAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _entitlementConnection) is { } known)
        {
            return known;
        }

        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (db.IsSqlite || db.Database.GetDbConnection() is not NpgsqlConnection connection)
        {
            _entitlementThroughEf = true;
            return null;
        }

        var template = (NpgsqlConnection)((ICloneable)connection).Clone();
        return Interlocked.CompareExchange(ref _entitlementConnection, template, null) ?? template;
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

    public async Task ReleaseAsync(Guid organizationId, string metric, DateTimeOffset periodStart, decimal quantity, CancellationToken cancellationToken)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        var start = periodStart.ToUniversalTime();
        if (db.IsSqlite)
        {
            using var gate = await RowLocks.EnterAsync(db, cancellationToken).ConfigureAwait(false);
            var row = await db.UsageTotals.FirstOrDefaultAsync(t => t.OrganizationId == organizationId && t.PeriodStart == start && t.Metric == metric, cancellationToken).ConfigureAwait(false);
            if (row is not null)
            {
                row.Reserved = Math.Max(0m, row.Reserved - quantity);
                await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        await db.UsageTotals
            .Where(t => t.OrganizationId == organizationId && t.PeriodStart == start && t.Metric == metric)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.Reserved, t => t.Reserved > quantity ? t.Reserved - quantity : 0m), cancellationToken)
            .ConfigureAwait(false);
    }
}
