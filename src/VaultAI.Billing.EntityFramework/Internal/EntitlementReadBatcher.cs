using VaultAI.Billing.Entitlements.Internal;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>What one entitlement read asks for: an organization's totals of one metric, with the calendar month it counts in.</summary>
internal readonly record struct EntitlementReadKey(Guid OrganizationId, string Metric, DateTimeOffset MonthStart);

/// <summary>
/// Coalesces concurrent entitlement reads into fewer database round trips. At most <c>maxInFlight</c> queries run at once.
/// A read that finds a free slot is sent at once, alone (no timer: an idle host adds no delay). A read that arrives while
/// every slot is busy joins the pending batch; when a query ends, its slot sends the pending batch (up to
/// <c>maxBatch</c> distinct keys, oldest first) as one query. Identical keys in one pending batch share one row.
/// </summary>
/// <remarks>
/// <para>
/// Freshness: a read only ever joins a batch that has not been sent yet, so the query that answers it starts after the
/// read arrived and sees all usage committed before then (a caller that recorded usage and then checks sees it).
/// </para>
/// <para>
/// A waiter's cancellation only stops its own wait: a batch's query runs without any caller's token, for the others. A
/// failure of a batch's query faults each of its waiters with that exception.
/// </para>
/// </remarks>
internal sealed class EntitlementReadBatcher(
    Func<IReadOnlyList<EntitlementReadKey>, CancellationToken, Task<EntitlementSnapshot?[]>> query,
    int maxInFlight,
    int maxBatch)
{
    // A lock around two collections is plenty at these rates (thousands of reads per second), and easy to follow.
    private readonly Lock _gate = new();

    // The pending batch: distinct keys in arrival order, and the same reads by key (to share a row between identical keys).
    private readonly List<PendingRead> _pending = [];
    private readonly Dictionary<EntitlementReadKey, PendingRead> _pendingByKey = [];
    private int _inFlight;
    private int _batchesSent;
    private int _largestBatch;

    /// <summary>Queries running now (for tests).</summary>
    internal int InFlight
    {
        get
        {
            lock (_gate)
            {
                return _inFlight;
            }
        }
    }

    /// <summary>Distinct keys waiting for the next batch (for tests).</summary>
    internal int Pending
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Batches sent so far, and the most distinct keys one of them carried (for tests).</summary>
    internal (int Batches, int Largest) Sent
    {
        get
        {
            lock (_gate)
            {
                return (_batchesSent, _largestBatch);
            }
        }
    }

    /// <summary>Reads one key: at once when a slot is free, otherwise in the next batch sent.</summary>
    /// <returns>The snapshot, or <see langword="null"/> when there is no such organization.</returns>
    public async Task<EntitlementSnapshot?> ReadAsync(EntitlementReadKey key, CancellationToken cancellationToken)
    {
        PendingRead? pending = null;
        lock (_gate)
        {
            if (_inFlight < maxInFlight)
            {
                // Nothing can be pending while a slot is free: a slot is only given back when nothing waits.
                _inFlight++;
            }
            else if (!_pendingByKey.TryGetValue(key, out pending))
            {
                pending = new PendingRead(key);
                _pending.Add(pending);
                _pendingByKey.Add(key, pending);
            }
        }

        if (pending is not null)
        {
            // Only this caller stops waiting when its token fires; the batch is sent and answers the others.
            return await pending.Answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            // Alone: nobody else waits for this query, so it may run with the caller's token.
            var answers = await query([key], cancellationToken).ConfigureAwait(false);
            return answers[0];
        }
        finally
        {
            if (TakeBatchOrFreeSlot() is { } next)
            {
                // The slot goes on with what arrived meanwhile. Not awaited: this caller has its answer. SendBatchesAsync
                // never throws (a failure goes to the batch's waiters).
                _ = SendBatchesAsync(next);
            }
        }
    }

    /// <summary>Sends batches on one slot until nothing is pending, then gives the slot back.</summary>
    private async Task SendBatchesAsync(PendingRead[] first)
    {
        for (var batch = first; batch is not null; batch = TakeBatchOrFreeSlot())
        {
            await SendAsync(batch).ConfigureAwait(false);
        }
    }

    private async Task SendAsync(PendingRead[] batch)
    {
        var keys = new EntitlementReadKey[batch.Length];
        for (var i = 0; i < batch.Length; i++)
        {
            keys[i] = batch[i].Key;
        }

        EntitlementSnapshot?[] answers;
        try
        {
            // No caller's token: a waiter that gives up must not cancel the query the others wait for.
            answers = await query(keys, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            foreach (var read in batch)
            {
                read.Answer.TrySetException(exception);
                // Marks the exception observed, in case every waiter of this read was canceled and none awaits it.
                _ = read.Answer.Task.Exception;
            }

            return;
        }

        for (var i = 0; i < batch.Length; i++)
        {
            batch[i].Answer.TrySetResult(answers[i]);
        }
    }

    /// <summary>Takes the next batch off the pending list for a slot whose query ended; when nothing waits, frees the slot.</summary>
    private PendingRead[]? TakeBatchOrFreeSlot()
    {
        lock (_gate)
        {
            if (_pending.Count == 0)
            {
                _inFlight--;
                return null;
            }

            var count = Math.Min(_pending.Count, maxBatch);
            var batch = _pending.GetRange(0, count).ToArray();
            _pending.RemoveRange(0, count);
            foreach (var read in batch)
            {
                // From now on this batch is sent: a new read of the same key waits for the next one (freshness).
                _pendingByKey.Remove(read.Key);
            }

            _batchesSent++;
            _largestBatch = Math.Max(_largestBatch, count);
            return batch;
        }
    }

    /// <summary>One distinct key in the pending batch and the answer its waiters await.</summary>
    private sealed class PendingRead(EntitlementReadKey key)
    {
        public EntitlementReadKey Key { get; } = key;

        // Continuations run on the thread pool, not inline on the slot's loop, which goes on to the next batch.
        public TaskCompletionSource<EntitlementSnapshot?> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
