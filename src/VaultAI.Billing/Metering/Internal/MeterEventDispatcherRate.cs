using System.Diagnostics;
using System.Threading.RateLimiting;

namespace VaultAI.Billing.Metering.Internal;

/// <summary>
/// A token bucket shared by every dispatcher on one database, so that together they stay under Stripe's
/// per-account limit. The store keeps the bucket (one row per transport) and refills it from the database's clock,
/// so the hosts' clocks do not matter and a host joining or leaving needs no registration.
/// </summary>
internal interface IDispatchRateBudget
{
    /// <summary>
    /// Takes up to <paramref name="wanted"/> calls from the shared bucket <paramref name="bucket"/>, which refills at
    /// <paramref name="perSecond"/> and holds at most <paramref name="capacity"/>.
    /// </summary>
    /// <returns>The calls granted (0 when the bucket is empty), or <see langword="null"/> when this store cannot share
    /// a budget between processes (a single-process store); the caller then limits the rate in the process.</returns>
    Task<int?> TakeAsync(string bucket, int wanted, int perSecond, int capacity, CancellationToken cancellationToken);
}

/// <summary>
/// The dispatcher's side of the shared budget: takes calls from the shared bucket in small chunks (a fiftieth of a
/// second's worth) and hands them out one by one. The shared bucket holds a tenth of a second's worth, so the bursts
/// all hosts can make together stay small. Without a shared budget, a token bucket in the process does the same.
/// </summary>
/// <remarks>
/// Pacing runs on real time, not the injected <see cref="TimeProvider"/>: Stripe counts calls in real time.
/// </remarks>
internal sealed class DispatchRateGate : IDisposable
{
    // Chunks not spent within this time are dropped, so an idle host cannot save up a burst.
    private static readonly TimeSpan ChunkLifetime = TimeSpan.FromSeconds(1);

    private readonly IDispatchRateBudget? _shared;
    private readonly string _bucket;
    private readonly int _perSecond;
    private readonly SemaphoreSlim _refill = new(1, 1);
    private readonly Lock _gate = new();
    private TokenBucketRateLimiter? _local;
    private int _tokens;
    private long _grantedAt;

    public DispatchRateGate(IDispatchRateBudget? shared, string bucket, int perSecond)
    {
        _shared = shared;
        _bucket = bucket;
        _perSecond = Math.Max(1, perSecond);
        if (shared is null)
        {
            _local = LocalLimiter(_perSecond);
        }
    }

    /// <summary>The calls one host takes from the shared bucket at a time.</summary>
    internal int Chunk => Math.Max(1, _perSecond / 50);

    /// <summary>The shared bucket's size: the largest burst all hosts together can make.</summary>
    internal int Capacity => Math.Max(Chunk, _perSecond / 10);

    /// <summary>Waits until one Stripe call may be made.</summary>
    public async ValueTask AcquireAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_local is { } local)
            {
                using var lease = await local.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (TryTakeLocal())
            {
                return;
            }

            await _refill.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // Another caller may have refilled while this one waited.
                if (TryTakeLocal())
                {
                    return;
                }

                var granted = await _shared!.TakeAsync(_bucket, Chunk, _perSecond, Capacity, cancellationToken).ConfigureAwait(false);
                if (granted is null)
                {
                    _local = LocalLimiter(_perSecond);
                    continue;
                }

                if (granted > 0)
                {
                    lock (_gate)
                    {
                        _tokens = granted.Value - 1;
                        _grantedAt = Stopwatch.GetTimestamp();
                    }

                    return;
                }

                // Empty: the other hosts hold the budget for now; a chunk refills in a fiftieth of a second.
                await Task.Delay(TimeSpan.FromSeconds((double)Chunk / _perSecond), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _refill.Release();
            }
        }
    }

    private bool TryTakeLocal()
    {
        lock (_gate)
        {
            if (_tokens > 0 && Stopwatch.GetElapsedTime(_grantedAt) < ChunkLifetime)
            {
                _tokens--;
                return true;
            }

            _tokens = 0;
            return false;
        }
    }

    private static TokenBucketRateLimiter LocalLimiter(int perSecond) => new(new TokenBucketRateLimiterOptions
    {
        // A tenth of a second's worth of burst, refilled every 10 ms: close to an even pace.
        TokenLimit = Math.Max(1, perSecond / 10),
        TokensPerPeriod = Math.Max(1, perSecond / 100),
        ReplenishmentPeriod = TimeSpan.FromMilliseconds(perSecond >= 100 ? 10 : 1000.0 / perSecond),
        QueueLimit = int.MaxValue,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        AutoReplenishment = true,
    });

    public void Dispose()
    {
        _local?.Dispose();
        _refill.Dispose();
    }
}
