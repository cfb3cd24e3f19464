using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Credentials.Internal;

/// <summary>
/// Verified token hashes of this host, each trusted for <see cref="CredentialOptions.CacheDuration"/>. Only tokens the
/// database confirmed active enter, so a flood of wrong tokens cannot fill memory; the size is bounded as well.
/// </summary>
internal sealed class CredentialCache(IOptionsMonitor<VaultAIBillingOptions> options, TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<string, Entry> _byHash = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, DateTimeOffset> _touched = new();

    /// <summary>How many tokens are cached now.</summary>
    public int Count => _byHash.Count;

    /// <summary>The credential cached for <paramref name="tokenHash"/>, if it is still within its lifetime.</summary>
    public InstanceCredential? Find(string tokenHash)
    {
        if (!_byHash.TryGetValue(tokenHash, out var entry))
        {
            return null;
        }

        if (timeProvider.GetUtcNow() < entry.ExpiresAt)
        {
            return entry.Credential;
        }

        _byHash.TryRemove(new KeyValuePair<string, Entry>(tokenHash, entry));
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

        if (_byHash.Count >= settings.CacheSize)
        {
            // Crude but bounded: start over rather than track recency on every hit of the hot path.
            _byHash.Clear();
        }

        var copy = new InstanceCredential
        {
            Id = credential.Id,
            OrganizationId = credential.OrganizationId,
            TokenHash = credential.TokenHash,
            TokenPrefix = credential.TokenPrefix,
            CreatedAt = credential.CreatedAt,
            LastUsedAt = credential.LastUsedAt,
        };
        _byHash[credential.TokenHash] = new Entry(copy, timeProvider.GetUtcNow() + settings.CacheDuration);
    }

    /// <summary>Forgets every cached credential of an organization: called on this host when it rotates or revokes them.</summary>
    public void Invalidate(Guid organizationId)
    {
        foreach (var pair in _byHash)
        {
            if (pair.Value.Credential.OrganizationId == organizationId)
            {
                _byHash.TryRemove(pair);
            }
        }
    }

    /// <summary>
    /// Whether this host should record a use of the credential now: not when the stored or a recent local "last used" is
    /// within <paramref name="interval"/>. At most one caller per credential and interval gets <see langword="true"/>.
    /// </summary>
    public bool TryClaimTouch(InstanceCredential credential, DateTimeOffset now, TimeSpan interval)
    {
        if (credential.LastUsedAt is { } stored && now - stored < interval)
        {
            return false;
        }

        if (_touched.Count >= options.CurrentValue.Credentials.CacheSize)
        {
            _touched.Clear();
        }

        while (true)
        {
            if (_touched.TryGetValue(credential.Id, out var last))
            {
                if (now - last < interval)
                {
                    return false;
                }

                if (_touched.TryUpdate(credential.Id, now, last))
                {
                    return true;
                }
            }
            else if (_touched.TryAdd(credential.Id, now))
            {
                return true;
            }
        }
    }

    private sealed record Entry(InstanceCredential Credential, DateTimeOffset ExpiresAt);
}
