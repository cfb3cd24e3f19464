using VaultAI.Billing.Metering;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.Client.Tests.EndToEnd;

/// <summary>Usage events from the client to the real billing host (VaultAI.Billing + EF store on PostgreSQL).</summary>
public sealed class RealBillingHostUsageEventsTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 2, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task RecordFlushGetUsage_ThreeEventsOfAMetric_UsageShowsTheTotalCountedOnce()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var clock = FakeClock.At(Start, TimeZoneInfo.Utc);
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused", timeProvider: clock, configure: options =>
            options.Metrics["call_minutes"] = new MetricDefinition { DisplayName = "Call minutes", Unit = "minutes", Aggregation = MetricAggregation.Sum, Decimals = 2 });
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(host.BaseAddress, folder.Path, clock);

        await instance.Usage.RecordUsageAsync("call_minutes", 12.5m, id: "call-1");
        await instance.Usage.RecordUsageAsync("call_minutes", 2.25m, id: "call-2");
        await instance.Usage.RecordUsageAsync("call_minutes", 0.25m, id: "call-3");
        var first = await instance.Usage.FlushUsageAsync();

        // The same ids again (as after a crash before the spool delete): duplicates, not counted twice.
        await instance.Usage.RecordUsageAsync("call_minutes", 12.5m, id: "call-1");
        var resend = await instance.Usage.FlushUsageAsync();
        var usage = await instance.Usage.GetUsageAsync();

        Assert.Equal(new UsageFlushResult(3, 0, 0, 0, true), first);
        Assert.Equal(new UsageFlushResult(0, 1, 0, 0, true), resend);
        var calls = usage["call_minutes"];
        Assert.NotNull(calls);
        Assert.Equal(15m, calls.Current);
        Assert.Equal("minutes", calls.Unit);
        Assert.True(calls.Unlimited);
        Assert.Equal(ClientHarness.DefaultOrganizationId, usage.OrganizationId);
        Assert.True(usage.PeriodStart <= Start && Start < usage.PeriodEnd, $"{usage.PeriodStart:o} .. {usage.PeriodEnd:o}");
        Assert.False(usage.IsStale);
    }

    [Fact]
    public async Task FlushUsageAsync_UnknownMetricAtTheRealHost_QuarantinedAndTheOthersStored()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var clock = FakeClock.At(Start, TimeZoneInfo.Utc);
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused", timeProvider: clock, configure: options =>
            options.Metrics["call_minutes"] = new MetricDefinition { Unit = "minutes", Decimals = 2 });
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(host.BaseAddress, folder.Path, clock);
        await instance.Usage.RecordUsageAsync("call_minutes", 1m, Start.AddMinutes(-3), "a");
        await instance.Usage.RecordUsageAsync("not_in_catalog", 1m, Start.AddMinutes(-2), "b");
        await instance.Usage.RecordUsageAsync("call_minutes", 1.5m, Start.AddMinutes(-1), "c");

        var result = await instance.Usage.FlushUsageAsync();

        Assert.Equal(new UsageFlushResult(2, 0, 1, 0, true), result);
        Assert.Equal(2.5m, (await instance.Usage.GetUsageAsync())["call_minutes"]!.Current);
        Assert.True(File.Exists(Path.Combine(instance.EventSpool.RejectedDirectory, UsageEventSpool.FileNameFor("b"))));
    }
}
