using System.Buffers.Binary;
using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Credentials.Internal;

/// <summary>
/// Verified token hashes of this host, each trusted for <see cref="CredentialOptions.CacheDuration"/>. Only tokens the
/// database confirmed active enter, so a flood of wrong tokens cannot fill memory; the size is bounded as well
/// (<see cref="CredentialOptions.CacheSize"/>). An entry is small on purpose (about 150 bytes with the dictionary's own
/// node): the hash as 32 raw bytes, not its 64-character text, and only what a request needs of the credential
/// (ids and last use), not a copy of the row.
/// </summary>
/// <remarks>
/// Expired entries are removed by the next <see cref="Add"/> once a <see cref="CredentialOptions.CacheDuration"/> has passed
/// since the last sweep, so the cache holds the tokens verified in about the last two cache durations, not every token seen
/// until the size bound: most instances report once a day, and their entries are never looked up again to expire on read.
/// When the bound is reached all the same, the expired entries go first, and only if that frees nothing the cache starts
/// over. A removed entry costs its token one indexed read on its next request; the revocation bound is unchanged, since
/// an entry is never trusted past its lifetime whether or not it is still in memory.
/// </remarks>
internal sealed class CredentialCache(IOptionsMonitor<VaultAIBillingOptions> options, TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<HashKey, Entry> _byHash = new();

    // About how many entries there are, for the size bound. ConcurrentDictionary.Count takes every lock of the table (up to
    // 1,024 once it is large), which on each first report cost more than the rest of the cache's work together.
    private int _approximateCount;

    // When the next Add removes the expired entries (UTC ticks); moved on by the caller that wins the sweep.
    private long _nextSweepTicks;

    /// <summary>How many tokens are cached now.</summary>
    public int Count => _byHash.Count;

    /// <summary>The credential cached for <paramref name="tokenHash"/>, if it is still within its lifetime.</summary>
    /// <remarks>The credential returned carries its id, organization, hash and last use; not its display prefix or dates of issue.</remarks>
    public InstanceCredential? Find(string tokenHash)
    {
        if (!HashKey.TryParse(tokenHash, out var key) || !_byHash.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (timeProvider.GetUtcNow().UtcTicks < entry.ExpiresAtTicks)
        {
            return new InstanceCredential
            {
                Id = entry.Id,
                OrganizationId = entry.OrganizationId,
                TokenHash = tokenHash,
                LastUsedAt = entry.LastUsedAtTicks == 0 ? null : new DateTimeOffset(entry.LastUsedAtTicks, TimeSpan.Zero),
            };
        }

        if (_byHash.TryRemove(new KeyValuePair<HashKey, Entry>(key, entry)))
        {
            Interlocked.Decrement(ref _approximateCount);
        }

        return null;
    }

    /// <summary>Remembers a credential the database just confirmed active.</summary>
    public void Add(InstanceCredential credential)
    {
        var settings = options.CurrentValue.Credentials;
        if (settings.CacheDuration <= TimeSpan.Zero)
        {
            return;
        }

        if (!HashKey.TryParse(credential.TokenHash, out var key))
        {
            return;
        }

        var now = timeProvider.GetUtcNow().UtcTicks;
        var due = Volatile.Read(ref _nextSweepTicks);
        if (now >= due && Interlocked.CompareExchange(ref _nextSweepTicks, now + settings.CacheDuration.Ticks, due) == due)
        {
            // Once per cache duration, on one request: a walk of the table (a few milliseconds at 100,000 entries).
            RemoveExpired(now);
        }

        if (Volatile.Read(ref _approximateCount) >= settings.CacheSize && RemoveExpired(now) == 0)
        {
            // Every entry is still valid: start over rather than track recency on every hit of the hot path.
            _byHash.Clear();
            Volatile.Write(ref _approximateCount, 0);
        }

        var entry = new Entry(
            credential.Id,
            credential.OrganizationId,
            credential.LastUsedAt?.UtcTicks ?? 0,
            now + settings.CacheDuration.Ticks);
        if (_byHash.TryAdd(key, entry))
        {
            Interlocked.Increment(ref _approximateCount);
        }
        else
        {
            _byHash[key] = entry;
        }
    }

    /// <summary>Removes the entries whose lifetime ended at <paramref name="nowTicks"/>; returns how many.</summary>
    private int RemoveExpired(long nowTicks)
    {
        var removed = 0;
        foreach (var pair in _byHash)
        {
            // Only the entry as read: one renewed meanwhile stays.
            if (pair.Value.ExpiresAtTicks <= nowTicks && _byHash.TryRemove(pair))
            {
                removed++;
            }
        }

        Interlocked.Add(ref _approximateCount, -removed);
        return removed;
    }

    /// <summary>Forgets every cached credential of an organization: called on this host when it rotates or revokes them.</summary>
    public void Invalidate(Guid organizationId)
    {
        foreach (var pair in _byHash)
        {
            if (pair.Value.OrganizationId == organizationId && _byHash.TryRemove(pair))
            {
                Interlocked.Decrement(ref _approximateCount);
            }
        }
    }

    /// <summary>
    /// Whether this host should record a use of the credential now: not when its stored or cached "last used" is within
    /// <paramref name="interval"/>. A claim moves the cached "last used" to <paramref name="now"/>, so while the token stays
    /// cached at most one caller per credential and interval gets <see langword="true"/>; after that the database's own
    /// "last used" (written by <see cref="CredentialUseLog"/>) decides, and a repeat before it is written only notes the
    /// same credential again.
    /// </summary>
    public bool TryClaimTouch(InstanceCredential credential, DateTimeOffset now, TimeSpan interval)
    {
        if (credential.LastUsedAt is { } stored && now - stored < interval)
        {
            return false;
        }

        if (!HashKey.TryParse(credential.TokenHash, out var key))
        {
            return true;
        }

        while (_byHash.TryGetValue(key, out var entry))
        {
            if (entry.LastUsedAtTicks != 0 && now.UtcTicks - entry.LastUsedAtTicks < interval.Ticks)
            {
                return false;
            }

            if (_byHash.TryUpdate(key, entry with { LastUsedAtTicks = now.UtcTicks }, entry))
            {
                return true;
            }
        }

        // Not cached (the cache is off or full): the use log keeps each credential once per batch anyway.
        return true;
    }

    private readonly record struct Entry(Guid Id, Guid OrganizationId, long LastUsedAtTicks, long ExpiresAtTicks);

    /// <summary>A SHA-256 as four 64-bit words: the key of an entry, a quarter of the size of its hex text.</summary>
    private readonly record struct HashKey(ulong A, ulong B, ulong C, ulong D)
    {
        public static bool TryParse(string hex, out HashKey key)
        {
            Span<byte> bytes = stackalloc byte[32];
            if (hex.Length != 64 || Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
            {
                key = default;
                return false;
            }

            key = new HashKey(
                BinaryPrimitives.ReadUInt64LittleEndian(bytes),
                BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]),
                BinaryPrimitives.ReadUInt64LittleEndian(bytes[24..]));
            return true;
        }
    }
}
