using System.Collections.Concurrent;
using BillingHost.Hosting;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Credentials;

namespace BillingHost.Admin;

/// <summary>
/// Failed <c>X-Admin-Api-Key</c> attempts per client address (<see cref="ClientAddress.PartitionKey"/>, so behind a
/// configured proxy each forwarded client counts apart), in fixed one-minute windows. An address that has spent
/// <see cref="BillingHostOptions.FailedAdminApiKeysPerMinute"/> gets no key checks until its window ends; valid keys
/// cost nothing, and other addresses are never slowed.
/// </summary>
/// <remarks>
/// Not System.Threading.RateLimiting (which the instance limits use): its fixed-window limiter measures windows with
/// <c>Stopwatch</c> and cannot follow the host's <see cref="TimeProvider"/>, and it has no way to spend a permit only
/// after the outcome (a failure) is known without a second acquire. This is a counter per address and nothing more.
/// </remarks>
public sealed partial class AdminApiKeyLimiter(IOptionsMonitor<BillingHostOptions> options, TimeProvider time, ILogger<AdminApiKeyLimiter> logger)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    // Failures are the only way in, so this holds at most the addresses that failed within the last window or so.
    private const int SweepAbove = 10_000;

    private readonly ConcurrentDictionary<string, Counter> _failures = new(StringComparer.Ordinal);

    /// <summary>How long the request's address must wait before its next key check; <see langword="null"/> if it may try now.</summary>
    public TimeSpan? RetryAfter(HttpContext context)
    {
        var address = ClientAddress.PartitionKey(context);
        if (!_failures.TryGetValue(address, out var counter))
        {
            return null;
        }

        var now = time.GetUtcNow();
        lock (counter)
        {
            var end = counter.Start + Window;
            if (now >= end || counter.Count < Limit)
            {
                return null;
            }

            LogLimited(logger, address);
            return end - now;
        }
    }

    /// <summary>Counts a wrong key from the request's address.</summary>
    public void RecordFailure(HttpContext context)
    {
        var address = ClientAddress.PartitionKey(context);
        var now = time.GetUtcNow();
        if (_failures.Count > SweepAbove)
        {
            Sweep(now);
        }

        var counter = _failures.GetOrAdd(address, _ => new Counter { Start = now });
        lock (counter)
        {
            if (now >= counter.Start + Window)
            {
                counter.Start = now;
                counter.Count = 0;
            }

            counter.Count++;
            if (counter.Count == Limit)
            {
                LogLimitReached(logger, address, Limit);
            }
        }
    }

    private int Limit => Math.Max(1, options.CurrentValue.FailedAdminApiKeysPerMinute);

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (address, counter) in _failures)
        {
            bool expired;
            lock (counter)
            {
                expired = now >= counter.Start + Window;
            }

            if (expired)
            {
                _failures.TryRemove(new KeyValuePair<string, Counter>(address, counter));
            }
        }
    }

    [LoggerMessage(EventId = 9101, Level = LogLevel.Warning, Message = "Client address {AddressKey} sent {Count} wrong admin API keys within a minute; its key checks stop until the minute is over")]
    private static partial void LogLimitReached(ILogger logger, string addressKey, int count);

    // Debug: an address over its limit is answered 429 at no cost, and a flood must not become a log flood.
    [LoggerMessage(EventId = 9102, Level = LogLevel.Debug, Message = "Client address {AddressKey} is over its limit of wrong admin API keys")]
    private static partial void LogLimited(ILogger logger, string addressKey);

    private sealed class Counter
    {
        public DateTimeOffset Start { get; set; }

        public int Count { get; set; }
    }
}
