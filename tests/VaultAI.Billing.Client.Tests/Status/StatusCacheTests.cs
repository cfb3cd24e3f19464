namespace VaultAI.Billing.Client.Tests;

public sealed class StatusCacheTests
{
    [Fact]
    public async Task GetStatusAsync_WithinLifetime_ServedFromCacheWithoutCall()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        var clock = FakeClock.At(new DateTimeOffset(2026, 11, 3, 9, 0, 0, TimeSpan.Zero));
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, clock);
        var first = await instance.Client.GetStatusAsync();
        server.SetSubscriptionStatus(ClientHarness.DefaultOrganizationId, "active");
        clock.Advance(TimeSpan.FromMinutes(4));

        var cached = await instance.Client.GetStatusAsync();

        Assert.Equal(1, server.Attempts(ContractBillingHost.Status));
        Assert.Equal("pending", cached.SubscriptionStatus);
        Assert.Equal(first.RetrievedAt, cached.RetrievedAt);
        Assert.False(cached.IsStale);
    }

    [Fact]
    public async Task GetStatusAsync_AfterLifetime_FetchesFreshStatus()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        var clock = FakeClock.At(new DateTimeOffset(2026, 11, 3, 9, 0, 0, TimeSpan.Zero));
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, clock);
        await instance.Client.GetStatusAsync();
        server.SetSubscriptionStatus(ClientHarness.DefaultOrganizationId, "active");
        clock.Advance(TimeSpan.FromMinutes(6));

        var fresh = await instance.Client.GetStatusAsync();

        Assert.Equal(2, server.Attempts(ContractBillingHost.Status));
        Assert.Equal("active", fresh.SubscriptionStatus);
        Assert.Equal("self-hosted", fresh.PlanType);
        Assert.Equal("on-premise", fresh.DeploymentType);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), fresh.StripeSubscription?.CurrentPeriodEnd);
        Assert.Equal(clock.GetUtcNow(), fresh.RetrievedAt);
    }

    [Fact]
    public async Task GetStatusAsync_HostDown_ServesLastStatusFlaggedStale()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        var clock = FakeClock.At(new DateTimeOffset(2026, 11, 3, 9, 0, 0, TimeSpan.Zero));
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, clock);
        var good = await instance.Client.GetStatusAsync();
        server.Outage = Fault.Http(503);
        clock.Advance(TimeSpan.FromHours(3));

        var stale = await instance.Client.GetStatusAsync();

        Assert.True(stale.IsStale);
        Assert.Equal(good.RetrievedAt, stale.RetrievedAt);
        Assert.Equal("pending", stale.SubscriptionStatus);
        Assert.True(server.Attempts(ContractBillingHost.Status) > 1);
        Assert.Contains(instance.Logs.GetSnapshot(), e => e.Id.Name == "StatusServedStale");
    }

    [Fact]
    public async Task GetStatusAsync_RestartWhileHostUnreachable_ServesPersistedStatusStale()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        var clock = FakeClock.At(new DateTimeOffset(2026, 11, 3, 9, 0, 0, TimeSpan.Zero));
        await using (var before = ClientHarness.Create(server.BaseAddress, folder.Path, clock))
        {
            await before.Client.RegisterAsync();
            server.SetSubscriptionStatus(ClientHarness.DefaultOrganizationId, "trial");
            await before.Client.GetStatusAsync();
        }

        server.Outage = Fault.DropConnection();
        clock.Advance(TimeSpan.FromDays(1));
        await using var after = ClientHarness.Create(server.BaseAddress, folder.Path, clock);

        var stale = await after.Client.GetStatusAsync();

        Assert.True(stale.IsStale);
        Assert.Equal("trial", stale.SubscriptionStatus);
        Assert.True(stale.TrialActive);
        Assert.Equal(clock.GetUtcNow() - TimeSpan.FromDays(1), stale.RetrievedAt);
    }

    [Fact]
    public async Task GetStatusAsync_HostDownAndNothingCached_Throws()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path);
        await instance.Client.RegisterAsync();
        server.Outage = Fault.Http(500);

        var ex = await Assert.ThrowsAsync<VaultAIBillingException>(() => instance.Client.GetStatusAsync());

        Assert.True(ex.IsTransient);
    }
}
