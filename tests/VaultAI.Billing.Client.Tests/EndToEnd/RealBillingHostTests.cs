
using Microsoft.EntityFrameworkCore;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.Client.Tests.EndToEnd;

/// <summary>The client against the real billing host (VaultAI.Billing + EF store on PostgreSQL), not the contract host.</summary>
public sealed class RealBillingHostTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 2, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task RegisterReportResendStatus_AgainstTheRealHost()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var clock = FakeClock.At(Start, TimeZoneInfo.Utc);
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused", timeProvider: clock);
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(host.BaseAddress, folder.Path, clock);

        var registration = await instance.Client.RegisterAsync();
        Assert.Equal(ClientHarness.DefaultOrganizationId, registration.OrganizationId);
        Assert.Equal(BillingClientState.Registered, instance.Client.State);

        var first = await instance.Client.ReportUsageAsync(new UsageReport(42, clock.GetUtcNow()), "acme:active_users:2026-11-02");
        var resend = await instance.Client.ReportUsageAsync(new UsageReport(42, clock.GetUtcNow()), "acme:active_users:2026-11-02");
        Assert.False(first.Duplicate);
        Assert.True(resend.Duplicate);
        Assert.Equal(first.ReportId, resend.ReportId);
        Assert.Equal("pending", first.OrganizationStatus);

        var status = await instance.Client.GetStatusAsync();
        Assert.Equal("pending", status.SubscriptionStatus);
        Assert.Equal("Acme", status.OrganizationName);
        Assert.False(status.IsStale);

        await using var db = host.CreateDbContext();
        var stored = await db.UsageReports.SingleAsync();
        Assert.Equal(42, stored.Quantity);
        Assert.Equal(Guid.Parse(first.ReportId), stored.Id);
        Assert.Equal(42, (await db.Organizations.SingleAsync()).LastUserCount);
    }

    [Fact]
    public async Task HostUnreachableForAWeek_EverySpooledReportArrivesOnceOldestFirst()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var clock = FakeClock.At(Start.AddTicks(7_777), TimeZoneInfo.Utc);
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused", timeProvider: clock);
        using var folder = new TempFolder();
        var tuning = ClientHarness.FastTuning();
        tuning.SpoolRetryMinDelay = TimeSpan.FromHours(2);
        tuning.SpoolRetryMaxDelay = TimeSpan.FromHours(12);
        await using var instance = ClientHarness.Create(host.BaseAddress, folder.Path, clock, tuning);
        await instance.Client.RegisterAsync();

        host.Outage = true;
        await instance.StartAsync();
        await instance.Activity.WaitForIdleAsync(0, TimeSpan.FromSeconds(20));
        await instance.RunReporterUntilAsync(clock, () => false, Start.AddDays(7));
        Assert.Equal(7, instance.Spool.CountPending());
        await using (var db = host.CreateDbContext())
        {
            Assert.Equal(0, await db.UsageReports.CountAsync());
        }

        host.Outage = false;
        await instance.RunReporterUntilAsync(clock, () => instance.Spool.CountPending() == 0, Start.AddDays(9));

        Assert.Equal(0, instance.Spool.CountPending());
        await using var check = host.CreateDbContext();
        var reports = await check.UsageReports.ToListAsync();
        // The week's seven days, each exactly once (the host may also have the next day's report by now).
        Assert.Equal(7, reports.Count(r => r.OccurredAt < Start.AddDays(7)));
        Assert.Equal(reports.Count, reports.Select(r => r.IdempotencyKey).Distinct().Count());
        Assert.Equal(reports.Count, reports.Select(r => r.OccurredAt.UtcDateTime.Date).Distinct().Count());

        // Arrival order at the host: the first acceptance of each key, oldest day first.
        var accepted = host.Requests.Where(r => r.Path == "/api/usage-report" && r.Status == 200).Select(r => r.IdempotencyKey!).Distinct().ToList();
        Assert.Equal(reports.Select(r => r.IdempotencyKey).Order(StringComparer.Ordinal), accepted);
    }

    [Fact]
    public async Task CrashBetweenSendAndSpoolDelete_ResendIsAnsweredDuplicateAndCountedOnce()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var clock = FakeClock.At(Start, TimeZoneInfo.Utc);
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused", timeProvider: clock);
        using var folder = new TempFolder();
        string firstReportId;
        await using (var crashed = ClientHarness.Create(host.BaseAddress, folder.Path, clock))
        {
            await crashed.Client.RegisterAsync();
            var report = await crashed.Dispatcher.CollectAsync(DateOnly.FromDateTime(Start.UtcDateTime), CancellationToken.None);
            var sent = await crashed.Client.ReportUsageAsync(new UsageReport(report!.UserCount, report.Timestamp), report.IdempotencyKey);
            firstReportId = sent.ReportId;
            Assert.Equal(1, crashed.Spool.CountPending()); // the process "died" before deleting the file
        }

        await using var restarted = ClientHarness.Create(host.BaseAddress, folder.Path, clock);
        Assert.Equal(DrainOutcome.Completed, await restarted.Dispatcher.DrainAsync(CancellationToken.None));
        Assert.Equal(0, restarted.Spool.CountPending());

        await using var db = host.CreateDbContext();
        var stored = await db.UsageReports.SingleAsync();
        Assert.Equal(Guid.Parse(firstReportId), stored.Id);
    }
}
