using Microsoft.EntityFrameworkCore;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>
/// Serialises writers of one organization row. On PostgreSQL, <c>SELECT ... FOR UPDATE</c> inside the caller's
/// transaction: concurrent reports for one organization, and a link, wait for each other instead of failing
/// their optimistic check over and over. On SQLite (one process, one writer) a process-wide gate does the same,
/// and also keeps SQLite's deferred transactions from deadlocking on the upgrade from read to write.
/// </summary>
internal static class RowLocks
{
    /// <summary>The one SQLite writer of this process (also used by the outbox claim).</summary>
    public static readonly SemaphoreSlim SqliteWriter = new(1, 1);

    /// <summary>Enters the SQLite gate; a no-op on other providers. Dispose the result to leave it.</summary>
    public static async Task<IDisposable> EnterAsync(BillingDbContext db, CancellationToken cancellationToken)
    {
        if (!db.IsSqlite)
        {
            return NoGate.Instance;
        }

        await SqliteWriter.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Gate();
    }

    /// <summary>Locks the organization row until the current transaction ends (PostgreSQL only).</summary>
    public static async Task LockOrganizationAsync(BillingDbContext db, Guid organizationId, CancellationToken cancellationToken)
    {
        if (!db.IsSqlite)
        {
            await db.Database.ExecuteSqlAsync($"SELECT 1 FROM billing.organizations WHERE id = {organizationId} FOR UPDATE", cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class Gate : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                SqliteWriter.Release();
            }
        }
    }

    private sealed class NoGate : IDisposable
    {
        public static readonly NoGate Instance = new();

        public void Dispose()
        {
        }
    }
}
