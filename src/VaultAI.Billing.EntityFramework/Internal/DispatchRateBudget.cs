using Microsoft.EntityFrameworkCore;
using VaultAI.Billing.Metering.Internal;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>One shared token bucket of the meter event dispatchers (one row per Stripe API).</summary>
internal sealed class DispatchRateBucket
{
    public required string Name { get; set; }

    /// <summary>Calls left at <see cref="RefilledAt"/> (fractional: the bucket refills continuously).</summary>
    public double Tokens { get; set; }

    /// <summary>The database time of the last take.</summary>
    public DateTimeOffset RefilledAt { get; set; }

    /// <summary>What the last take granted; read back by the statement that set it.</summary>
    public int LastGranted { get; set; }
}

/// <summary>
/// The dispatchers' shared rate budget in PostgreSQL: one upsert per take refills the bucket from the database's
/// clock, grants what it holds up to the wanted count, and returns the grant. Concurrent takes queue on the row for
/// the length of one statement; a host takes a fiftieth of a second's worth at a time, so this is a few statements a
/// second per host. SQLite (the single-process demo) has no shared budget: the dispatcher limits itself in the process.
/// </summary>
internal sealed class DispatchRateBudget(IDbContextFactory<BillingDbContext> contextFactory) : IDispatchRateBudget
{
    public async Task<int?> TakeAsync(string bucket, int wanted, int perSecond, int capacity, CancellationToken cancellationToken)
    {
        using var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (db.IsSqlite)
        {
            return null;
        }

        // Every SET expression reads the row as it was, so tokens and last_granted agree. GREATEST on the elapsed time:
        // a statement that waited on the row lock may have started before the take that held it.
        var granted = await db.Database.SqlQuery<int>($"""
            INSERT INTO billing.dispatch_rate_buckets AS b (name, tokens, refilled_at, last_granted)
            VALUES ({bucket}, {(double)(capacity - Math.Min(wanted, capacity))}, now(), {Math.Min(wanted, capacity)})
            ON CONFLICT (name) DO UPDATE SET
                tokens = LEAST({(double)capacity}, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM now() - b.refilled_at)::double precision) * {(double)perSecond})
                         - LEAST({wanted}, FLOOR(LEAST({(double)capacity}, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM now() - b.refilled_at)::double precision) * {(double)perSecond}))),
                refilled_at = GREATEST(b.refilled_at, now()),
                last_granted = LEAST({wanted}, FLOOR(LEAST({(double)capacity}, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM now() - b.refilled_at)::double precision) * {(double)perSecond})))::integer
            RETURNING b.last_granted AS "Value"
            """).ToListAsync(cancellationToken).ConfigureAwait(false);
        return granted[0];
    }
}
