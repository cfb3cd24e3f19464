using Microsoft.Extensions.DependencyInjection;

namespace VaultAI.Billing.Client.Tests;

public sealed class DailyUsageReporterTests
{
    private static readonly TimeZoneInfo Zone = TimeZoneInfo.CreateCustomTimeZone("Test+01", TimeSpan.FromHours(1), "Test+01", "Test+01");

    private static DateTimeOffset Local(int day, int hour, int minute = 0) => new(2026, 11, day, hour, minute, 0, TimeSpan.FromHours(1));

    private static string KeyFor(int day) => IdempotencyKeys.ForDay(ClientHarness.DefaultOrganizationId, "active_users", new DateOnly(2026, 11, day));

    [Fact]
    public async Task Reporter_ThreeDays_ReportsOncePerDayWithinJitterWindow()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        var clock = FakeClock.At(Local(2, 0), Zone);
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, clock);
        await instance.StartAsync();
        await instance.Activity.WaitForIdleAsync(0, TimeSpan.FromSeconds(20));

        await instance.RunReporterUntilAsync(clock, () => false, Local(5, 0));

        var reports = server.AcceptedReports;
        Assert.Equal(new[] { KeyFor(2), KeyFor(3), KeyFor(4) }, reports.Select(r => r.IdempotencyKey));
        Assert.Equal(3, instance.Counter.Calls);
        foreach (var (report, day) in reports.Zip(new[] { 2, 3, 4 }))
        {
            Assert.InRange(report.Timestamp, Local(day, 3), Local(day, 3, 30));
        }

        // The seeded jitter spreads the runs: not all at the same minute past 03:00.
        Assert.True(reports.Select(r => r.Timestamp.TimeOfDay).Distinct().Count() > 1);
        Assert.Equal(0, instance.Spool.CountPending());
    }

    [Fact]
    public async Task Reporter_RestartSameDayAfterReporting_DoesNotReportThatDayAgain()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        var clock = FakeClock.At(Local(2, 2), Zone);
        await using (var first = ClientHarness.Create(server.BaseAddress, folder.Path, clock))
        {
            await first.StartAsync();
            await first.Activity.WaitForIdleAsync(0, TimeSpan.FromSeconds(20));
            await first.RunReporterUntilAsync(clock, () => server.AcceptedReports.Count == 1, Local(2, 12));
            Assert.Equal(1, first.Counter.Calls);
        }

        await using var restarted = ClientHarness.Create(server.BaseAddress, folder.Path, clock);
        await restarted.StartAsync();
        await restarted.Activity.WaitForIdleAsync(0, TimeSpan.FromSeconds(20));

        Assert.True(restarted.Activity.NextWakeAt >= Local(3, 3), $"next wake {restarted.Activity.NextWakeAt:o} should be tomorrow's run");
        await restarted.RunReporterUntilAsync(clock, () => false, Local(3, 0));
        Assert.Equal(0, restarted.Counter.Calls);
        Assert.Equal(new[] { KeyFor(2) }, server.AcceptedReports.Select(r => r.IdempotencyKey));
    }

    [Fact]
    public async Task Reporter_HostUnreachableForAWeek_SpoolsSevenReportsThenDeliversEachOnceOldestFirst()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        // A start off the millisecond grid: retry wake-ups fall between milliseconds and must still fire once.
        var clock = FakeClock.At(Local(2, 0).AddTicks(5_555), Zone);
        var tuning = ClientHarness.FastTuning();
        tuning.SpoolRetryMinDelay = TimeSpan.FromHours(2);
        tuning.SpoolRetryMaxDelay = TimeSpan.FromHours(12);
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, clock, tuning);
        await instance.Client.RegisterAsync();
        server.Outage = Fault.DropConnection();
        await instance.StartAsync();
        await instance.Activity.WaitForIdleAsync(0, TimeSpan.FromSeconds(20));

        await instance.RunReporterUntilAsync(clock, () => false, Local(9, 0));

        Assert.Equal(7, instance.Spool.CountPending());
        Assert.Equal(7, instance.Counter.Calls);
        Assert.Empty(server.AcceptedReports);
        Assert.True(server.Attempts(ContractBillingHost.Usage) > 7, "the reporter kept retrying during the outage");

        server.Outage = null;
        await instance.RunReporterUntilAsync(clock, () => instance.Spool.CountPending() == 0, Local(11, 0));

        var accepted = server.AcceptedReports;
        var expected = Enumerable.Range(2, 7).Select(KeyFor).ToArray();
        Assert.Equal(expected, accepted.Select(r => r.IdempotencyKey).Take(7));
        Assert.Equal(accepted.Count, accepted.Select(r => r.IdempotencyKey).Distinct().Count());
        Assert.Equal(accepted.OrderBy(r => r.Timestamp).Select(r => r.IdempotencyKey), accepted.Select(r => r.IdempotencyKey));
        Assert.Equal(DrainOutcome.Completed, instance.Activity.LastDrain);
    }

    [Fact]
    public async Task Reporter_RestartWithFullSpool_SendsSpoolAtStartOldestFirst()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        var clock = FakeClock.At(Local(2, 4), Zone);
        await using (var crashed = ClientHarness.Create(server.BaseAddress, folder.Path, clock))
        {
            await crashed.Client.RegisterAsync();
            foreach (var day in new[] { 2, 3, 4 })
            {
                clock.AdvanceTo(Local(day, 4));
                await crashed.Dispatcher.CollectAsync(new DateOnly(2026, 11, day), CancellationToken.None);
            }
        }

        Assert.Empty(server.AcceptedReports);
        clock.AdvanceTo(Local(5, 1));
        await using var restarted = ClientHarness.Create(server.BaseAddress, folder.Path, clock);
        await restarted.StartAsync();
        await restarted.Activity.WaitForIdleAsync(0, TimeSpan.FromSeconds(20));

        Assert.Equal(new[] { KeyFor(2), KeyFor(3), KeyFor(4) }, server.AcceptedReports.Select(r => r.IdempotencyKey));
        Assert.Equal(0, restarted.Spool.CountPending());
        Assert.Equal(0, restarted.Counter.Calls);
    }
}
