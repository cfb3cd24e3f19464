using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Storage;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Metering;

/// <summary>The organization's last-seen fields as reports are written out of order (on PostgreSQL, the report statement's path).</summary>
public sealed class LastSeenTests
{
    [Fact]
    public async Task IngestUsage_LatestReportWrittenAfterOneReceivedLater_KeepsTheLatestCountAndTheLaterReceivedTime()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var org = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(host.Client, org);
        var store = host.Services.GetRequiredService<IBillingStore>();
        var now = DateTimeOffset.FromUnixTimeSeconds(stripe.Clock.GetUtcNow().ToUnixTimeSeconds());

        // Received second, about an earlier moment: written first.
        var earlier = Report(org, "about-earlier", quantity: 5, occurredAt: now.AddMinutes(-1), receivedAt: now.AddSeconds(2));
        // Received first, about the latest moment: written last, as a slow request would be.
        var latest = Report(org, "about-latest", quantity: 7, occurredAt: now, receivedAt: now.AddSeconds(1));
        Assert.False((await store.IngestUsageAsync(earlier, null, null, MetricAggregation.Last, (_, _) => null)).Duplicate);
        Assert.False((await store.IngestUsageAsync(latest, null, null, MetricAggregation.Last, (_, _) => null)).Duplicate);

        await using var db = host.CreateDbContext();
        var organization = await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == org);
        Assert.Equal(7, organization.LastUserCount);
        Assert.Equal(now.AddSeconds(2), organization.LastReportAt);
        var total = await db.UsageTotals.AsNoTracking().SingleAsync(t => t.OrganizationId == org);
        Assert.Equal(7m, total.Total);
        Assert.Equal(2, total.EventCount);
    }

    [Fact]
    public async Task ReportUsage_SixteenConcurrentReporters_LastSeenEndsOnTheLatestReportAndNoWriteFails()
    {
        // Reports that arrive while another report of the organization owns its last-seen fields leave their values to
        // that owner, which writes them in a statement of its own: that statement must run, not fail and be logged.
        var logs = new FakeLogCollector();
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price, logging: l => l.AddProvider(new FakeLoggerProvider(logs)).SetMinimumLevel(LogLevel.Debug));
        var org = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, org);
        var at = DateTimeOffset.FromUnixTimeSeconds(stripe.Clock.GetUtcNow().ToUnixTimeSeconds() - 3600);

        // 16 reporters x 10 reports; the report about the latest moment carries 999 users, whoever writes last.
        var reporters = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                var n = (w * 10) + i;
                var users = n == 159 ? 999 : 100 + n;
                using var response = await InstanceCalls.ReportAsync(host.Client, token, org, users, at.AddSeconds(n), $"seen-{n}");
                Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            }
        }));
        await Task.WhenAll(reporters);

        await using var db = host.CreateDbContext();
        var latestReceived = await db.UsageReports.AsNoTracking().Where(r => r.OrganizationId == org).MaxAsync(r => r.ReceivedAt);
        // A busy organization's last values may be left to a background writer: they are written soon after, not lost.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var organization = await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == org);
        while ((organization.LastUserCount != 999 || organization.LastReportAt != latestReceived) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            organization = await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == org);
        }

        Assert.Equal(999, organization.LastUserCount);
        Assert.Equal(latestReceived, organization.LastReportAt);
        var warnings = logs.GetSnapshot().Where(r => r.Level >= LogLevel.Warning && r.Category?.StartsWith("VaultAI", StringComparison.Ordinal) == true)
            .Select(r => $"{r.Category}: {r.Message} {r.Exception?.Message}").ToList();
        Assert.True(warnings.Count == 0, string.Join(Environment.NewLine, warnings));
    }

    private static UsageReport Report(Guid org, string key, long quantity, DateTimeOffset occurredAt, DateTimeOffset receivedAt) => new()
    {
        Id = Guid.CreateVersion7(receivedAt),
        OrganizationId = org,
        Metric = "active_users",
        Quantity = quantity,
        OccurredAt = occurredAt,
        ReceivedAt = receivedAt,
        IdempotencyKey = key,
        Source = "usage-report",
    };
}
