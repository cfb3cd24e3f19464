using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests;

/// <summary>
/// Duplicates are normal traffic (Stripe redelivers, two hosts receive the same event, an instance resends a report):
/// they must not show up as errors in the operators' logs. EF Core logs every failed command at Error level, so the
/// store must not let a duplicate fail on a unique key.
/// </summary>
public sealed class DuplicateTrafficLogTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Webhook_SameSignedEventDeliveredTwiceConcurrently_AppliedOnceAndNothingLoggedAtErrorLevel(bool sqlite)
    {
        var logs = new FakeLogCollector();
        using var file = new SqliteFile(sqlite);
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await StartAsync(stripe, "price_unused", logs, file);
        var org = await WebhookTests.SeedLinkedAsync(host, "sub_dup_logs");
        logs.Clear(); // only the traffic counts: migrating a fresh database logs EF's own failed history query
        var json = WebhookTests.SubscriptionEvent("evt_dup_logs", "customer.subscription.updated", "sub_dup_logs", "cus_sub_dup_logs", "past_due", stripe.Clock.GetUtcNow().AddMinutes(-1));

        var deliveries = await Task.WhenAll(WebhookCalls.PostAsync(host, stripe, json), WebhookCalls.PostAsync(host, stripe, json));
        var again = await WebhookCalls.PostAsync(host, stripe, json); // and a redelivery after both
        deliveries = [.. deliveries, again];

        try
        {
            Assert.All(deliveries, r => Assert.True(r.IsSuccessStatusCode, r.StatusCode.ToString()));
            Assert.Equal("duplicate", (await InstanceCalls.ReadJsonAsync(again)).GetProperty("outcome").GetString());
        }
        finally
        {
            foreach (var response in deliveries)
            {
                response.Dispose();
            }
        }

        await using var db = host.CreateDbContext();
        var row = await db.WebhookEvents.SingleAsync();
        Assert.Equal("evt_dup_logs", row.Id);
        Assert.Equal("processed", row.Status);
        Assert.Equal(OrganizationStatus.PastDue, (await db.Organizations.SingleAsync(o => o.Id == org)).Status);
        AssertNoErrors(logs);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UsageReport_SameReportSentTwiceConcurrentlyAndAgain_StoredAndQueuedOnceAndNothingLoggedAtErrorLevel(bool sqlite)
    {
        var logs = new FakeLogCollector();
        using var file = new SqliteFile(sqlite);
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await StartAsync(stripe, price, logs, file);
        var orgId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, orgId);
        (await InstanceCalls.LinkAsync(host.Admin, orgId)).EnsureSuccessStatusCode();
        var at = stripe.Clock.GetUtcNow();
        logs.Clear(); // only the traffic counts: migrating a fresh database logs EF's own failed history query

        for (var round = 0; round < 5; round++)
        {
            // Each round its own report, sent twice at once with one idempotency key, then once more.
            var key = $"report-{round}";
            var sent = await Task.WhenAll(
                InstanceCalls.ReportAsync(host.Client, token, orgId, 10 + round, at.AddMinutes(-round), key),
                InstanceCalls.ReportAsync(host.Client, token, orgId, 10 + round, at.AddMinutes(-round), key));
            using var again = await InstanceCalls.ReportAsync(host.Client, token, orgId, 10 + round, at.AddMinutes(-round), key);
            foreach (var response in sent)
            {
                using (response)
                {
                    Assert.True(response.IsSuccessStatusCode, response.StatusCode.ToString());
                }
            }

            Assert.True(again.IsSuccessStatusCode, again.StatusCode.ToString());
        }

        await using var db = host.CreateDbContext();
        Assert.Equal(5, await db.UsageReports.CountAsync(r => r.OrganizationId == orgId));
        Assert.Equal(5, await db.MeterEventOutbox.CountAsync(m => m.OrganizationId == orgId));
        AssertNoErrors(logs);
    }

    // PostgreSQL (production), or SQLite (the demo) when a file is given.
    private static Task<BillingTestHost> StartAsync(StripeEmulator stripe, string price, FakeLogCollector logs, SqliteFile file) =>
        BillingTestHost.StartAsync(
            stripe,
            price,
            database: file.Path is { } path ? o => o.UseSqlite($"Data Source={path}") : null,
            logging: l => l.AddProvider(new FakeLoggerProvider(logs)).SetMinimumLevel(LogLevel.Debug));

    private static void AssertNoErrors(FakeLogCollector logs)
    {
        Assert.NotEmpty(logs.GetSnapshot()); // the collector is wired: the traffic logged something
        var errors = logs.GetSnapshot().Where(r => r.Level >= LogLevel.Error).Select(r => $"{r.Category}: {r.Message}").ToList();
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    private sealed class SqliteFile(bool sqlite) : IDisposable
    {
        public string? Path { get; } = sqlite ? System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"vaultai-billing-{Guid.NewGuid():N}.db") : null;

        public void Dispose()
        {
            if (Path is not null)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                File.Delete(Path);
            }
        }
    }
}
