using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
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
