using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>
/// <see cref="IBillingJobLock"/> on PostgreSQL: <c>pg_try_advisory_lock</c> on a connection of its own, kept open while
/// the job runs, so the lock is released by <c>pg_advisory_unlock</c> or, if the host dies, with the connection. SQLite
/// serves one process, whose hosted service already runs the job once at a time: the lock is always granted there.
/// </summary>
internal sealed class EntityFrameworkJobLock(IDbContextFactory<BillingDbContext> contextFactory) : IBillingJobLock
{
    public async Task<IAsyncDisposable?> TryAcquireAsync(string job, CancellationToken cancellationToken = default)
    {
        var db = await contextFactory.CreateDbContextAsync(cancellationToken).ConfigureAwait(false);
        if (db.IsSqlite)
        {
            return db;
        }

        try
        {
            await db.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            var key = Key(job);
            using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
            command.Parameters.Add(new NpgsqlParameter("key", NpgsqlDbType.Bigint) { Value = key });
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
            {
                return new Held(db, connection, key);
            }
        }
        catch
        {
            await db.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        await db.DisposeAsync().ConfigureAwait(false);
        return null;
    }

    private static long Key(string job) => BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("vaultai.billing.job:" + job)), 0);

    private sealed class Held(BillingDbContext db, NpgsqlConnection connection, long key) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
                command.Parameters.Add(new NpgsqlParameter("key", NpgsqlDbType.Bigint) { Value = key });
                await command.ExecuteScalarAsync().ConfigureAwait(false);
            }
            finally
            {
                // Closing the session releases the lock even if the unlock above failed.
                await db.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
