using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Storage;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests;

public sealed class DispatcherTests
{
    private const string MeterEventsPath = "/v1/billing/meter_events";

    [Fact]
    public async Task TwoDispatchersOnOneDatabase_NeverSendTheSameRowTwice()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var first = await BillingTestHost.StartAsync(stripe, price, configure: o => o.Dispatcher.BatchSize = 7);
        await using var second = await BillingTestHost.StartAsync(stripe, price, first.ConnectionString, configure: o => o.Dispatcher.BatchSize = 7);
        var identifiers = await SeedLinkedReportsAsync(first, stripe, organizations: 6, reportsEach: 10);

        var a = first.Services.GetRequiredService<IMeterEventDispatcher>();
        var b = second.Services.GetRequiredService<IMeterEventDispatcher>();
        await Task.WhenAll(DrainAsync(a), DrainAsync(b));

        var sent = stripe.Requests.Where(r => r.Path == MeterEventsPath).Select(r => r.Form["identifier"]).ToList();
        Assert.Equal(identifiers.Count, sent.Count);
        Assert.Equal(identifiers.OrderBy(x => x), sent.OrderBy(x => x));
        await using var db = first.CreateDbContext();
        Assert.Equal(identifiers.Count, await db.MeterEventOutbox.CountAsync(m => m.Status == OutboxStatus.Sent));
    }

    [Fact]
    public async Task TransientStripeFailures_AreRetriedUntilEveryRowIsSentOnce()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price, configure: o => o.Stripe.MaxRetries = 0);
        var identifiers = await SeedLinkedReportsAsync(host, stripe, organizations: 2, reportsEach: 3);

        stripe.InjectFault(MeterEventsPath, StripeFault.Status(500), count: 2);
        stripe.InjectFault(MeterEventsPath, StripeFault.Status(429, retryAfterSeconds: 0), count: 1);
        stripe.InjectFault(MeterEventsPath, StripeFault.DropConnection(), count: 1);

        var dispatcher = host.Services.GetRequiredService<IMeterEventDispatcher>();
        for (var round = 0; round < 10 && await PendingAsync(host) > 0; round++)
        {
            await DrainAsync(dispatcher);
            stripe.Clock.Advance(TimeSpan.FromHours(1)); // past every backoff
        }

        Assert.Equal(0, await PendingAsync(host));
        var accepted = stripe.State.MeterEvents.Select(e => e.Identifier).ToList();
        Assert.Equal(identifiers.OrderBy(x => x), accepted.OrderBy(x => x));
        await using var db = host.CreateDbContext();
        Assert.Equal(identifiers.Count, await db.MeterEventOutbox.CountAsync(m => m.Status == OutboxStatus.Sent));
        Assert.True(await db.MeterEventOutbox.AnyAsync(m => m.Attempts > 1), "some rows should have needed a retry");
    }

    [Fact]
    public async Task StripeTimeout_RowIsRetriedAndCountedOnce()
    {
        // Real time here: a per-attempt timeout only fires on a clock that moves by itself.
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price, timeProvider: TimeProvider.System, configure: o =>
        {
            o.Stripe.MaxRetries = 0;
            o.Stripe.Timeout = TimeSpan.FromSeconds(1);
            o.Dispatcher.RetryBaseDelay = TimeSpan.FromMilliseconds(200);
            o.Dispatcher.RetryMaxDelay = TimeSpan.FromMilliseconds(400);
        });
        var identifiers = await SeedLinkedReportsAsync(host, stripe, organizations: 1, reportsEach: 1);
        stripe.InjectFault(MeterEventsPath, StripeFault.Delay(TimeSpan.FromSeconds(5)), count: 1);

        var dispatcher = host.Services.GetRequiredService<IMeterEventDispatcher>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (await PendingAsync(host) > 0 && DateTime.UtcNow < deadline)
        {
            await dispatcher.DispatchOnceAsync();
            await Task.Delay(100);
        }

        await using var db = host.CreateDbContext();
        var row = await db.MeterEventOutbox.SingleAsync();
        Assert.Equal(OutboxStatus.Sent, row.Status);
        Assert.True(row.Attempts >= 2, "the first attempt timed out");
        // The slow first call may still have landed at Stripe; the identifier makes it count once.
        Assert.Equal(identifiers.Single(), Assert.Single(stripe.State.MeterEvents).Identifier);
    }

    [Fact]
    public async Task PermanentStripeError_MarksRowFailedVisibleAndRetryableByAdmin()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var identifiers = await SeedLinkedReportsAsync(host, stripe, organizations: 1, reportsEach: 1);

        stripe.InjectFault(MeterEventsPath, StripeFault.Status(400, errorType: "invalid_request_error"), count: 1);
        var dispatcher = host.Services.GetRequiredService<IMeterEventDispatcher>();
        await DrainAsync(dispatcher);

        using (var failed = await host.Admin.GetAsync("/api/admin/meter-events?status=failed"))
        {
            var json = await InstanceCalls.ReadJsonAsync(failed);
            var item = Assert.Single(json.GetProperty("items").EnumerateArray());
            Assert.Equal(identifiers.Single(), item.GetProperty("identifier").GetString());
            Assert.Contains("400", item.GetProperty("last_error").GetString(), StringComparison.Ordinal);
            Assert.Equal(1, json.GetProperty("counts").GetProperty("failed").GetInt32());
        }

        Assert.Equal(0, await dispatcher.DispatchOnceAsync()); // failed rows are not retried by themselves
        (await host.Admin.PostAsync("/api/admin/meter-events/retry", null)).EnsureSuccessStatusCode();
        Assert.Equal(1, await dispatcher.DispatchOnceAsync());
        Assert.Equal(identifiers.Single(), Assert.Single(stripe.State.MeterEvents).Identifier);
    }

    [Fact]
    public async Task DispatcherKilledAfterClaiming_LeaseExpiresAndRowIsSentOnce()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var identifiers = await SeedLinkedReportsAsync(host, stripe, organizations: 1, reportsEach: 2);

        // A dispatcher that claimed the rows and then died: it never completes them.
        var store = host.Services.GetRequiredService<IBillingStore>();
        var now = stripe.Clock.GetUtcNow();
        var claimed = await store.ClaimOutboxAsync(10, "dead-host", now, now + TimeSpan.FromMinutes(2));
        Assert.Equal(2, claimed.Count);

        var dispatcher = host.Services.GetRequiredService<IMeterEventDispatcher>();
        Assert.Equal(0, await dispatcher.DispatchOnceAsync()); // still leased

        stripe.Clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(2, await dispatcher.DispatchOnceAsync());
        Assert.False(await store.CompleteOutboxAsync(claimed[0].Id, "dead-host", new OutboxCompletion(OutboxStatus.Failed, now, Error: "late")));
        Assert.Equal(identifiers.OrderBy(x => x), stripe.State.MeterEvents.Select(e => e.Identifier).OrderBy(x => x));
    }

    [Fact]
    public async Task SameRowSentTwice_StripeCountsItOnce()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        await SeedLinkedReportsAsync(host, stripe, organizations: 1, reportsEach: 1);

        // The answer to the first send is lost: the row stays pending and is sent again later.
        var store = host.Services.GetRequiredService<IBillingStore>();
        var now = stripe.Clock.GetUtcNow();
        var row = Assert.Single(await store.ClaimOutboxAsync(10, "host-a", now, now + TimeSpan.FromMinutes(2)));
        var stripeClient = host.Services.GetRequiredService<global::Stripe.StripeClient>();
        await stripeClient.CreateMeteredEventForTestAsync(row);

        stripe.Clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(1, await host.Services.GetRequiredService<IMeterEventDispatcher>().DispatchOnceAsync());
        Assert.Single(stripe.State.MeterEvents);
    }

    [Fact]
    public async Task StripeRateLimitWithRetryAfter_NotRetriedBeforeRetryAfterAndSentOnceAfter()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var identifier = (await SeedLinkedReportsAsync(host, stripe, organizations: 1, reportsEach: 1)).Single();
        stripe.InjectFault(MeterEventsPath, StripeFault.Status(429, retryAfterSeconds: 30), count: 1);
        var dispatcher = host.Services.GetRequiredService<IMeterEventDispatcher>();
        int Sends() => stripe.Requests.Count(r => r.Path == MeterEventsPath);

        Assert.Equal(1, await dispatcher.DispatchOnceAsync());
        Assert.Equal(1, Sends()); // the Stripe client does not retry a 429 in-call

        // The default backoff (5 s, jittered) would retry long before this; Retry-After wins.
        stripe.Clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, await dispatcher.DispatchOnceAsync());
        Assert.Equal(1, Sends());
        Assert.Empty(stripe.State.MeterEvents);

        stripe.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await dispatcher.DispatchOnceAsync());
        Assert.Equal(2, Sends());
        Assert.Equal(identifier, Assert.Single(stripe.State.MeterEvents).Identifier);
        await using var db = host.CreateDbContext();
        Assert.Equal(OutboxStatus.Sent, (await db.MeterEventOutbox.SingleAsync()).Status);
    }

    [Fact]
    public async Task StripeRateLimitWithLongRetryAfter_WaitIsCappedByMaxRetryAfter()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        await SeedLinkedReportsAsync(host, stripe, organizations: 1, reportsEach: 1);
        stripe.InjectFault(MeterEventsPath, StripeFault.Status(429, retryAfterSeconds: 3600), count: 1);
        var dispatcher = host.Services.GetRequiredService<IMeterEventDispatcher>();
        var refusedAt = stripe.Clock.GetUtcNow();

        Assert.Equal(1, await dispatcher.DispatchOnceAsync());
        await using (var db = host.CreateDbContext())
        {
            var row = await db.MeterEventOutbox.SingleAsync();
            Assert.Equal(OutboxStatus.Pending, row.Status);
            // Stripe:MaxRetryAfter, 60 s by default (PostgreSQL keeps microseconds, the clock has ticks).
            Assert.InRange(row.NextAttemptAt - refusedAt, TimeSpan.FromSeconds(59.999), TimeSpan.FromSeconds(60));
        }

        stripe.Clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, await dispatcher.DispatchOnceAsync());
        Assert.Single(stripe.State.MeterEvents);
    }

    internal static async Task<List<string>> SeedLinkedReportsAsync(BillingTestHost host, StripeEmulator stripe, int organizations, int reportsEach)
    {
        var identifiers = new List<string>();
        for (var o = 0; o < organizations; o++)
        {
            var orgId = Guid.NewGuid();
            var token = await InstanceCalls.RegisterAsync(host.Client, orgId, $"Org {o}");
            (await InstanceCalls.LinkAsync(host.Admin, orgId)).EnsureSuccessStatusCode();
            for (var r = 0; r < reportsEach; r++)
            {
                using var response = await InstanceCalls.ReportAsync(host.Client, token, orgId, 10 + r, stripe.Clock.GetUtcNow().AddMinutes(-r));
                var json = await InstanceCalls.ReadJsonAsync(response);
                identifiers.Add($"vaultai-usage-{Guid.Parse(json.GetProperty("report_id").GetString()!):N}");
            }
        }

        return identifiers;
    }

    private static async Task DrainAsync(IMeterEventDispatcher dispatcher)
    {
        while (await dispatcher.DispatchOnceAsync() > 0)
        {
        }
    }

    private static async Task<int> PendingAsync(BillingTestHost host)
    {
        await using var db = host.CreateDbContext();
        return await db.MeterEventOutbox.CountAsync(m => m.Status == OutboxStatus.Pending);
    }
}

internal static class StripeClientTestExtensions
{
    public static Task CreateMeteredEventForTestAsync(this global::Stripe.StripeClient client, MeterEventOutboxMessage row) =>
        client.V1.Billing.MeterEvents.CreateAsync(
            new global::Stripe.Billing.MeterEventCreateOptions
            {
                EventName = row.EventName,
                Payload = new() { ["stripe_customer_id"] = row.StripeCustomerId, ["value"] = row.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                Identifier = row.Identifier,
                Timestamp = row.Timestamp.UtcDateTime,
            },
            new global::Stripe.RequestOptions { IdempotencyKey = "a-different-call-" + row.Identifier });
}
