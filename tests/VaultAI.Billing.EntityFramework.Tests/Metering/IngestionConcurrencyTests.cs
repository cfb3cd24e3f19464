using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Testing;
using static VaultAI.Billing.EntityFramework.Tests.Metering.MeteringHost;

namespace VaultAI.Billing.EntityFramework.Tests.Metering;

/// <summary>The ingestion hot path under contention: one busy organization, batches racing single events, reports racing a link.</summary>
public sealed class IngestionConcurrencyTests
{
    [Fact]
    public async Task ReportUsage_HotOrganizationSixteenWriters_EveryReportStoredCountedAndQueuedOnce()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var org = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, org);
        (await InstanceCalls.LinkAsync(host.Admin, org)).EnsureSuccessStatusCode();
        // Inside the period the link started now (the wire keeps whole seconds), and within the 5 minutes ahead a report may be.
        var at = DateTimeOffset.FromUnixTimeSeconds(stripe.Clock.GetUtcNow().ToUnixTimeSeconds() + 1);

        // 16 writers x 12 reports, each report also retried once right away: 192 reports, 384 requests.
        var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 12; i++)
            {
                var key = $"hot-{w}-{i}";
                foreach (var _ in new[] { "first", "retry" })
                {
                    using var response = await InstanceCalls.ReportAsync(host.Client, token, org, 100 + (w * 12) + i, at.AddSeconds((w * 12) + i), key);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                }
            }
        }));
        await Task.WhenAll(writers);

        await using var db = host.CreateDbContext();
        Assert.Equal(192, await db.UsageReports.CountAsync(r => r.OrganizationId == org));
        Assert.Equal(192, await db.UsageEvents.CountAsync(e => e.OrganizationId == org));
        Assert.Equal(192, await db.MeterEventOutbox.CountAsync(m => m.OrganizationId == org));
        var total = await db.UsageTotals.SingleAsync(t => t.OrganizationId == org);
        Assert.Equal(192, total.EventCount);
        // active_users is a Last metric: the report with the latest timestamp (w 15, i 11) holds the total.
        Assert.Equal(291m, total.Total);
        var organization = await db.Organizations.SingleAsync(o => o.Id == org);
        Assert.NotNull(organization.LastReportAt);
        Assert.InRange(organization.LastUserCount!.Value, 100, 100 + 191);
    }

    [Fact]
    public async Task RecordUsageEvents_BatchRacingSingleEventsWithTheSameIds_EachIdCountedExactlyOnce()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await MeteringHost.StartAsync(stripe);
        var org = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, org);
        var recorder = host.Services.GetRequiredService<IUsageRecorder>();
        var at = stripe.Clock.GetUtcNow().AddMinutes(-1);

        // 200 ids of 0.01 .. 2.00 minutes: one batch of all of them over HTTP, the same batch through IUsageRecorder, and every
        // id alone, over HTTP and in process, all at once.
        var ids = Enumerable.Range(1, 200).ToList();
        string Quantity(int i) => (i / 100m).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
        var batchBody = Batch(ids.Select(i => Event($"race-{i}", "call_minutes", Quantity(i), at)).ToArray());
        var inProcess = ids.Select(i => new UsageEvent($"race-{i}", "call_minutes", i / 100m, at)).ToList();
        var work = new List<Task<int>>
        {
            Task.Run(async () => (await PostOkAsync(host, token, batchBody)).GetProperty("accepted").GetInt32()),
            Task.Run(async () => (await recorder.RecordAsync(org, inProcess)).Accepted),
        };
        work.AddRange(ids.Select(i => Task.Run(async () =>
            i % 2 == 0
                ? (await PostOkAsync(host, token, Batch(Event($"race-{i}", "call_minutes", Quantity(i), at)))).GetProperty("accepted").GetInt32()
                : (await recorder.RecordAsync(org, new UsageEvent($"race-{i}", "call_minutes", i / 100m, at))).Accepted)));
        var accepted = await Task.WhenAll(work);

        Assert.Equal(200, accepted.Sum());
        var (events, totals) = await StoredAsync(host, org);
        Assert.Equal(200, events);
        Assert.Equal(ids.Sum(i => i / 100m), totals["call_minutes"]);
        await using var db = host.CreateDbContext();
        Assert.Equal(200, (await db.UsageTotals.SingleAsync(t => t.OrganizationId == org && t.Metric == "call_minutes")).EventCount);
    }

    [Fact]
    public async Task ReportUsage_RacingALink_TheNewestReportIsQueuedAndNoReportTwice()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var org = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, org);
        // Inside the period the link starts now (the wire keeps whole seconds), and within the 5 minutes ahead a report may be.
        var at = DateTimeOffset.FromUnixTimeSeconds(stripe.Clock.GetUtcNow().ToUnixTimeSeconds() + 1);

        // Reports with rising timestamps keep arriving from 8 writers while the organization is linked.
        var sent = 0;
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 15; i++)
            {
                var n = Interlocked.Increment(ref sent);
                using var response = await InstanceCalls.ReportAsync(host.Client, token, org, n, at.AddSeconds(n), $"link-race-{n}");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        })).ToList();
        using (var link = await InstanceCalls.LinkAsync(host.Admin, org))
        {
            link.EnsureSuccessStatusCode();
        }

        await Task.WhenAll(writers);

        await using var db = host.CreateDbContext();
        var reports = await db.UsageReports.Where(r => r.OrganizationId == org).ToListAsync();
        var queued = await db.MeterEventOutbox.Where(m => m.OrganizationId == org).Select(m => m.UsageReportId).ToListAsync();
        Assert.Equal(120, reports.Count);
        Assert.Equal(queued.Count, queued.Distinct().Count());
        // Whatever the interleaving, Stripe learns the newest value: the newest report was queued, by itself or by the link.
        var newest = reports.MaxBy(r => r.OccurredAt)!;
        Assert.Contains(newest.Id, queued.Select(q => q!.Value));
    }
}
