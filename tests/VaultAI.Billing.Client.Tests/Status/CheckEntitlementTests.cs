using VaultAI.Billing.Testing;

namespace VaultAI.Billing.Client.Tests.Status;

/// <summary><see cref="IVaultAIBillingClient.CheckEntitlementAsync"/> against the real billing host, reachable and not.</summary>
public sealed class CheckEntitlementTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task CheckEntitlement_HostDown_AnswersFromTheCachedStatusWithinItsStalenessBound()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var clock = FakeClock.At(Start);
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused", timeProvider: clock);
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(host.BaseAddress, folder.Path, clock, configure: o => o.EntitlementCacheMaxAge = TimeSpan.FromHours(24));
        await instance.Client.RegisterAsync();
        var status = await instance.Client.GetStatusAsync();

        var live = await instance.Client.CheckEntitlementAsync("active_users", 5);
        Assert.True(live.Allowed);
        Assert.False(live.IsStale);
        Assert.Equal("pending_link", live.Reason);
        Assert.Equal(0m, live.Current);

        host.Outage = true;
        clock.AdvanceTo(Start + TimeSpan.FromHours(23));
        var cached = await instance.Client.CheckEntitlementAsync("active_users", 5);
        Assert.True(cached.Allowed);
        Assert.True(cached.IsStale);
        Assert.Equal(status.RetrievedAt, cached.RetrievedAt);
        Assert.Null(cached.Current);

        clock.AdvanceTo(Start + TimeSpan.FromHours(25));
        var tooOld = await Assert.ThrowsAsync<VaultAIBillingException>(() => instance.Client.CheckEntitlementAsync("active_users", 5));
        Assert.True(tooOld.IsTransient);
    }

    [Fact]
    public async Task CheckEntitlement_Refused_CarriesTheCodeAndTheCacheKeepsRefusingWhileTheHostIsDown()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var clock = FakeClock.At(Start);
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused", timeProvider: clock, configure: o =>
        {
            o.Entitlements.PendingEntitled = false;
            o.Entitlements.UpgradeUrlTemplate = "https://billing.example/upgrade/{organizationId}";
        });
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(host.BaseAddress, folder.Path, clock);
        await instance.Client.RegisterAsync();
        await instance.Client.GetStatusAsync();

        var refused = await instance.Client.CheckEntitlementAsync("active_users", 1);
        Assert.False(refused.Allowed);
        Assert.Equal("subscription_inactive", refused.Code);
        Assert.Equal($"https://billing.example/upgrade/{ClientHarness.DefaultOrganizationId}", refused.UpgradeUrl);

        host.Outage = true;
        var cached = await instance.Client.CheckEntitlementAsync("active_users", 1);
        Assert.False(cached.Allowed);
        Assert.True(cached.IsStale);
        Assert.Equal("subscription_inactive", cached.Code);
    }
}
