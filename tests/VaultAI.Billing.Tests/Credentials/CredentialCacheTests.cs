using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using VaultAI.Billing.Credentials;
using VaultAI.Billing.Credentials.Internal;

namespace VaultAI.Billing.Tests.Credentials;

public sealed class CredentialCacheTests
{
    [Fact]
    public void Add_CacheFull_StartsOverAndKeepsTheNewOne()
    {
        var cache = NewCache(size: 3);
        var first = Enumerable.Range(0, 3).Select(_ => Credential()).ToArray();
        cache.Add(first[0]);
        cache.Add(first[1]);

        // Adding a cached token again replaces it: it does not count twice towards the bound, so the third still fits.
        cache.Add(first[0]);
        cache.Add(first[2]);
        Assert.Equal(3, cache.Count);
        Assert.All(first, c => Assert.NotNull(cache.Find(c.TokenHash)));

        var fourth = Credential();
        cache.Add(fourth);
        Assert.Equal(1, cache.Count);
        Assert.Null(cache.Find(first[0].TokenHash));
        Assert.Equal(fourth.Id, cache.Find(fourth.TokenHash)?.Id);
    }

    [Fact]
    public void Invalidate_FreesRoomUnderTheBound()
    {
        var cache = NewCache(size: 2);
        var kept = Credential();
        var dropped = Credential();
        cache.Add(kept);
        cache.Add(dropped);
        cache.Invalidate(dropped.OrganizationId);

        // One entry left, so a new one fits beside it without starting over.
        var next = Credential();
        cache.Add(next);
        Assert.Equal(2, cache.Count);
        Assert.NotNull(cache.Find(kept.TokenHash));
        Assert.NotNull(cache.Find(next.TokenHash));
        Assert.Null(cache.Find(dropped.TokenHash));
    }

    [Fact]
    public void Add_ACacheDurationAfterTheLastSweep_RemovesTheExpiredEntries()
    {
        var clock = NewClock();
        var cache = NewCache(size: 100, clock);
        var early = Credential();
        var late = Credential();
        cache.Add(early);
        clock.Advance(TimeSpan.FromSeconds(20));
        cache.Add(late);

        // 30 s after the first add: the early token has expired and goes with the next add; the late one stays valid.
        clock.Advance(TimeSpan.FromSeconds(10));
        var next = Credential();
        cache.Add(next);
        Assert.Equal(2, cache.Count);
        Assert.Null(cache.Find(early.TokenHash));
        Assert.Equal(late.Id, cache.Find(late.TokenHash)?.Id);
        Assert.Equal(next.Id, cache.Find(next.TokenHash)?.Id);

        // Tokens used once (an instance's daily report) do not pile up until the size bound: each sweep leaves only the
        // entries of the last cache duration.
        for (var minute = 0; minute < 10; minute++)
        {
            clock.Advance(TimeSpan.FromSeconds(31));
            for (var i = 0; i < 5; i++)
            {
                cache.Add(Credential());
            }
        }

        Assert.Equal(5, cache.Count);
    }

    [Fact]
    public void Add_CacheFullWithExpiredEntries_RemovesThemInsteadOfStartingOver()
    {
        var clock = NewClock();
        var cache = NewCache(size: 2, clock);
        cache.Add(Credential());
        clock.Advance(TimeSpan.FromSeconds(20));
        var expiring = Credential();
        cache.Add(expiring);

        // The sweep at 30 s removes the first entry only; the next one is due at 60 s.
        clock.Advance(TimeSpan.FromSeconds(10));
        var valid = Credential();
        cache.Add(valid);
        Assert.Equal(2, cache.Count);

        // At 55 s the cache is full and one entry has expired (at 50 s): it makes room, the valid one is kept.
        clock.Advance(TimeSpan.FromSeconds(25));
        var newest = Credential();
        cache.Add(newest);
        Assert.Equal(2, cache.Count);
        Assert.Null(cache.Find(expiring.TokenHash));
        Assert.Equal(valid.Id, cache.Find(valid.TokenHash)?.Id);
        Assert.Equal(newest.Id, cache.Find(newest.TokenHash)?.Id);
    }

    [Fact]
    public void Find_AfterTheSweep_TrustsNoEntryPastItsLifetime()
    {
        var clock = NewClock();
        var cache = NewCache(size: 100, clock);
        var credential = Credential();
        cache.Add(credential);
        clock.Advance(TimeSpan.FromSeconds(29));

        // Added again just before it expires (verified again by the database): the sweep keeps the renewed entry, for 30 s
        // from the renewal and not longer.
        cache.Add(credential);
        clock.Advance(TimeSpan.FromSeconds(2));
        cache.Add(Credential());
        Assert.Equal(credential.Id, cache.Find(credential.TokenHash)?.Id);
        clock.Advance(TimeSpan.FromSeconds(27));
        Assert.NotNull(cache.Find(credential.TokenHash));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(cache.Find(credential.TokenHash));
    }

    private static FakeTimeProvider NewClock() => new(DateTimeOffset.Parse("2026-12-03T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private static CredentialCache NewCache(int size, TimeProvider? clock = null)
    {
        var options = new VaultAIBillingOptions();
        options.Credentials.CacheSize = size;
        Assert.Equal(TimeSpan.FromSeconds(30), options.Credentials.CacheDuration);
        return new CredentialCache(new StaticOptionsMonitor(options), clock ?? NewClock());
    }

    private static InstanceCredential Credential() => new()
    {
        Id = Guid.NewGuid(),
        OrganizationId = Guid.NewGuid(),
        TokenHash = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
        TokenPrefix = "vaultai_",
    };

    private sealed class StaticOptionsMonitor(VaultAIBillingOptions value) : IOptionsMonitor<VaultAIBillingOptions>
    {
        public VaultAIBillingOptions CurrentValue => value;

        public VaultAIBillingOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<VaultAIBillingOptions, string?> listener) => null;
    }
}
