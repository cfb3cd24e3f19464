using System.Data;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>
/// Group commit of report statements on this host. A report statement runs at once on its request's connection while
/// fewer than <see cref="MaxInFlight"/> report statements or batches are in flight (an idle host adds no delay and no
/// timer). Past that bound, arriving statements wait, and the next slot to come free sends all that waited (up to
/// <see cref="MaxBatch"/>) as one <see cref="NpgsqlBatch"/> on a pooled connection of its own: one round trip and, as
/// Npgsql sends a single Sync after the last statement of a batch without error barriers, one implicit transaction, so
/// one commit and one WAL flush for all of them. Each statement answers its own row, read back for its request.
/// </summary>
/// <remarks>
/// An error in any statement rolls the whole batch back (PostgreSQL skips the statements after it and the implicit
/// transaction aborts), so a failed batch wrote nothing: its requests are told so and run their statements alone, and one
/// bad report never fails the others. The batch runs with no request's cancellation token: a request that gives up
/// waiting leaves its statement in the batch, which may commit it, as when a client drops during a commit today; a retry
/// with the same idempotency key then finds it.
/// </remarks>
internal sealed class ReportGroupCommit(ILogger? logger = null)
{
    /// <summary>Report statements and batches in flight on this host before arrivals wait for a batch.</summary>
    public const int MaxInFlight = 4;

    /// <summary>The most statements in one batch.</summary>
    public const int MaxBatch = 32;

    // Deadlocks and serialization failures roll the whole batch back; it runs again this many times in all before its
    // statements go alone.
    private const int MaxBatchAttempts = 3;

    private readonly Lock _gate = new();
    private readonly List<Statement> _waiting = [];
    private int _inFlight;
    private long _arrivals;
    private long _batchedStatements;
    private long _failedBatches;

    /// <summary>How many statements wait for a batch now (for tests).</summary>
    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>How many statements were committed in batches (for tests).</summary>
    public long BatchedStatements => Interlocked.Read(ref _batchedStatements);

    /// <summary>How many batches failed and sent their statements alone (for tests).</summary>
    public long FailedBatches => Interlocked.Read(ref _failedBatches);

    /// <summary>
    /// Runs one report statement: <paramref name="alone"/> at once when a slot is free, else in the next batch, where
    /// <paramref name="create"/> builds its command and <paramref name="read"/> reads its row once the batch has committed.
    /// </summary>
    /// <param name="organizationId">The report's organization: a batch's statements go in this order.</param>
    /// <param name="create">The statement as a batch command; called once per attempt of its batch.</param>
    /// <param name="read">Reads the statement's row; its result counts only when this method returns <see langword="true"/>.</param>
    /// <param name="alone">Today's path: the statement on the request's own connection.</param>
    /// <param name="connect">A new, closed connection to the database, for a batch this request may have to start.</param>
    /// <param name="beforeWaiting">Called once the statement waits for a batch: gives the request's connection back to the pool
    /// meanwhile, so waiting requests never starve the batch they wait for of a connection.</param>
    /// <param name="cancellationToken">The request's token: stops the wait, never the batch.</param>
    /// <returns>
    /// <see langword="true"/> when the statement ran alone or in a committed batch; <see langword="false"/> when its batch
    /// failed and wrote nothing, and the caller must run the statement alone.
    /// </returns>
    public async Task<bool> RunAsync(
        Guid organizationId,
        Func<NpgsqlBatchCommand> create,
        Action<NpgsqlDataReader> read,
        Func<Task> alone,
        Func<NpgsqlConnection> connect,
        Func<Task> beforeWaiting,
        CancellationToken cancellationToken)
    {
        Statement? waiting = null;
        lock (_gate)
        {
            if (_inFlight < MaxInFlight)
            {
                _inFlight++;
            }
            else
            {
                waiting = new Statement(organizationId, _arrivals++, create, read, connect);
                _waiting.Add(waiting);
            }
        }

        if (waiting is not null)
        {
            await beforeWaiting().ConfigureAwait(false);
            return await waiting.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await alone().ConfigureAwait(false);
            return true;
        }
        finally
        {
            // The slot goes to the statements that waited meanwhile, if any.
            if (TakeBatchOrRelease() is { } batch)
            {
                _ = Task.Run(() => RunBatchesAsync(batch));
            }
        }
    }

    /// <summary>The next batch, in lock order, keeping the caller's slot; or <see langword="null"/> after freeing the slot.</summary>
    private List<Statement>? TakeBatchOrRelease()
    {
        List<Statement> batch;
        lock (_gate)
        {
            if (_waiting.Count == 0)
            {
                _inFlight--;
                return null;
            }

            // At most one statement per organization, oldest first; the others of a busy organization wait for the next
            // batch. A batch holds each period total it updated until it commits: had it a second statement of the same
            // organization, that statement could wait for a repeated idempotency key inserted by a statement running alone,
            // which itself waits for that period total (a deadlock, found at 16 connections on one organization, where it cost
            // a second of deadlock detection per cycle). With one statement per organization, each statement waits for a key
            // before it takes its organization's total, and for other organizations only in ascending order.
            batch = new List<Statement>(Math.Min(_waiting.Count, MaxBatch));
            var organizations = new HashSet<Guid>();
            for (var i = 0; i < _waiting.Count && batch.Count < MaxBatch;)
            {
                if (organizations.Add(_waiting[i].OrganizationId))
                {
                    batch.Add(_waiting[i]);
                    _waiting.RemoveAt(i);
                }
                else
                {
                    i++;
                }
            }
        }

        // Every batch, here or on another host, takes its organizations' row locks in one order: no deadlock between batches.
        batch.Sort(static (a, b) => a.OrganizationId.CompareTo(b.OrganizationId));
        return batch;
    }

    /// <summary>Sends batches on one connection of its own for as long as statements keep waiting, then frees the slot.</summary>
    private async Task RunBatchesAsync(List<Statement> first)
    {
        NpgsqlConnection? connection = null;
        try
        {
            for (var batch = first; batch is not null; batch = TakeBatchOrRelease())
            {
                connection = await RunBatchAsync(connection, batch).ConfigureAwait(false);
            }
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs one batch; never throws, so every statement learns its outcome and the slot is always handed on.</summary>
    /// <returns>The connection, to reuse for the next batch.</returns>
    private async Task<NpgsqlConnection?> RunBatchAsync(NpgsqlConnection? connection, List<Statement> statements)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                connection ??= statements[0].Connect();
                if (connection.State != ConnectionState.Open)
                {
                    // New, or broken by a failed batch: start on a fresh pooled connection.
                    await connection.CloseAsync().ConfigureAwait(false);
                    await connection.OpenAsync(CancellationToken.None).ConfigureAwait(false);
                }

                using var batch = new NpgsqlBatch(connection) { EnableErrorBarriers = false };
                foreach (var statement in statements)
                {
                    batch.BatchCommands.Add(statement.Create());
                }

                // Each statement text is prepared once per pooled connection, as on the single path.
                await batch.PrepareAsync(CancellationToken.None).ConfigureAwait(false);
                var reader = await batch.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    foreach (var statement in statements)
                    {
                        if (!await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false))
                        {
                            throw new InvalidOperationException("A report statement of a batch answered no row.");
                        }

                        statement.Read(reader);
                        await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false);
                    }
                }

                // The reader is closed: PostgreSQL has answered the Sync, so the transaction committed. Only now does any
                // request learn its outcome.
                Interlocked.Add(ref _batchedStatements, statements.Count);
                foreach (var statement in statements)
                {
                    statement.Done.TrySetResult(true);
                }

                return connection;
            }
            catch (PostgresException exception) when (attempt < MaxBatchAttempts && exception.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
                // Rolled back as a whole: send it again.
            }
            // Any other failure: each statement goes alone to meet its own outcome. Almost always nothing of the batch was
            // written (one transaction); in the rare case it was (a failure after the commit, such as a lost connection while
            // reading the answer), a statement's second run finds its idempotency key and answers "duplicate": never twice.
#pragma warning disable CA1031 // See above: every failure is answered by running the statements alone.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _failedBatches);
                if (logger is not null)
                {
                    EntityFrameworkBillingStore.LogBatchFailed(logger, statements.Count, exception);
                }

                foreach (var statement in statements)
                {
                    statement.Done.TrySetResult(false);
                }

                return connection;
            }
        }
    }

    private sealed class Statement(Guid organizationId, long arrival, Func<NpgsqlBatchCommand> create, Action<NpgsqlDataReader> read, Func<NpgsqlConnection> connect)
    {
        public Guid OrganizationId { get; } = organizationId;

        public long Arrival { get; } = arrival;

        public Func<NpgsqlBatchCommand> Create { get; } = create;

        public Action<NpgsqlDataReader> Read { get; } = read;

        public Func<NpgsqlConnection> Connect { get; } = connect;

        // Completed off the batch's thread: a request's continuation never runs inside the batch loop.
        public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
