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

    private static CredentialCache NewCache(int size)
    {
        var options = new VaultAIBillingOptions();
        options.Credentials.CacheSize = size;
        return new CredentialCache(new StaticOptionsMonitor(options), new FakeTimeProvider(DateTimeOffset.Parse("2026-12-03T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));
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
