using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests;

/// <summary>Two hosts on one database: the verified-token cache and how fast a revocation reaches each host.</summary>
public sealed class CredentialCacheTests
{
    [Fact]
    public async Task RevokeOnOneHost_StopsTheTokenThereAtOnceAndOnTheOtherHostWithinTheCacheDuration()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var revoking = await BillingTestHost.StartAsync(stripe, "price_unused");
        await using var other = await BillingTestHost.StartAsync(stripe, "price_unused", revoking.ConnectionString);
        var bound = other.Services.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value.Credentials.CacheDuration;
        Assert.Equal(TimeSpan.FromSeconds(30), bound);

        var orgId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(revoking.Client, orgId);
        using (var first = await InstanceCalls.ReportAsync(other.Client, token, orgId, 1, stripe.Clock.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using (var warm = await InstanceCalls.ReportAsync(revoking.Client, token, orgId, 2, stripe.Clock.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        (await revoking.Admin.PostAsync($"/api/admin/organizations/{orgId}/revoke-token", null)).EnsureSuccessStatusCode();

        // The host that revoked forgets the token at once, although it had just verified it.
        using (var here = await InstanceCalls.ReportAsync(revoking.Client, token, orgId, 3, stripe.Clock.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, here.StatusCode);
        }

        // The other host trusts what it verified until the bound, and not a tick longer.
        stripe.Clock.Advance(bound - TimeSpan.FromSeconds(1));
        using (var stale = await InstanceCalls.ReportAsync(other.Client, token, orgId, 4, stripe.Clock.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        }

        stripe.Clock.Advance(TimeSpan.FromSeconds(1));
        using (var there = await InstanceCalls.ReportAsync(other.Client, token, orgId, 5, stripe.Clock.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, there.StatusCode);
        }
    }

    [Fact]
    public async Task RotateOnOneHost_OldTokenStopsThereAtOnceNewTokenWorksOnBothHosts()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var rotating = await BillingTestHost.StartAsync(stripe, "price_unused");
        await using var other = await BillingTestHost.StartAsync(stripe, "price_unused", rotating.ConnectionString, configure: o => o.Credentials.CacheDuration = TimeSpan.FromSeconds(5));
        var orgId = Guid.NewGuid();
        var oldToken = await InstanceCalls.RegisterAsync(rotating.Client, orgId);
        (await InstanceCalls.ReportAsync(rotating.Client, oldToken, orgId, 1, stripe.Clock.GetUtcNow())).Dispose();
        (await InstanceCalls.ReportAsync(other.Client, oldToken, orgId, 1, stripe.Clock.GetUtcNow())).Dispose();

        using var rotate = await rotating.Admin.PostAsync($"/api/admin/organizations/{orgId}/rotate-token", null);
        var newToken = (await InstanceCalls.ReadJsonAsync(rotate)).GetProperty("billing_token").GetString();

        using (var old = await InstanceCalls.ReportAsync(rotating.Client, oldToken, orgId, 2, stripe.Clock.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        }

        foreach (var host in new[] { rotating, other })
        {
            using var fresh = await InstanceCalls.ReportAsync(host.Client, newToken, orgId, 3, stripe.Clock.GetUtcNow());
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        stripe.Clock.Advance(TimeSpan.FromSeconds(5));
        using var expired = await InstanceCalls.ReportAsync(other.Client, oldToken, orgId, 4, stripe.Clock.GetUtcNow());
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
    }

    [Fact]
    public async Task UnknownTokens_AreNeverCached()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var orgId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(host.Client, orgId);
        for (var i = 0; i < 50; i++)
        {
            using var response = await InstanceCalls.ReportAsync(host.Client, $"vaultai_guess{i}", orgId, 1, stripe.Clock.GetUtcNow());
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        var cache = host.Services.GetRequiredService<Credentials.Internal.CredentialCache>();
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task CacheDurationOutOfRange_FailsAtStartNamingTheKey()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            BillingTestHost.StartAsync(stripe, "price_unused", configure: o => o.Credentials.CacheDuration = TimeSpan.FromHours(1)));
        Assert.Contains("VaultAI:Billing:Credentials:CacheDuration", failure.Message, StringComparison.Ordinal);
    }
}
