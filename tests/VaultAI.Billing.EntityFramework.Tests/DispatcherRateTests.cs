using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Metering.Internal;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests;

/// <summary>The dispatchers' shared rate budget and the pipelined v2 pass, on real PostgreSQL and the emulator.</summary>
public sealed class DispatcherRateTests
{
    private const string MeterEventsPath = "/v1/billing/meter_events";

    [Fact]
    public async Task TwoDispatchersOnOneDatabase_ShareTheRate_StripeEnforcingItAnswersNo429()
    {
        // Stripe allows 10 calls a second; the account's budget is 8. Two hosts each at 8 a second would send 16.
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { MeterEventsPerSecond = 10 });
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var first = await BillingTestHost.StartAsync(stripe, price, configure: o => { o.Dispatcher.MaxRequestsPerSecond = 8; o.Dispatcher.BatchSize = 5; });
        await using var second = await BillingTestHost.StartAsync(stripe, price, first.ConnectionString, configure: o => { o.Dispatcher.MaxRequestsPerSecond = 8; o.Dispatcher.BatchSize = 5; });
        var identifiers = await DispatcherTests.SeedLinkedReportsAsync(first, stripe, organizations: 4, reportsEach: 10);

        await Task.WhenAll(
            DrainAsync(first.Services.GetRequiredService<IMeterEventDispatcher>()),
            DrainAsync(second.Services.GetRequiredService<IMeterEventDispatcher>()));

        var calls = stripe.Requests.Where(r => r.Path == MeterEventsPath).ToList();
        Assert.DoesNotContain(calls, r => r.StatusCode == 429);
        Assert.Equal(identifiers.OrderBy(x => x), calls.Select(r => r.Form["identifier"]).OrderBy(x => x));
        Assert.Equal(identifiers.OrderBy(x => x), stripe.State.MeterEvents.Select(e => e.Identifier).OrderBy(x => x));
        await using var db = first.CreateDbContext();
        Assert.Equal(identifiers.Count, await db.MeterEventOutbox.CountAsync(m => m.Status == OutboxStatus.Sent));
    }

    [Fact]
    public async Task SharedBudget_TakeMoreThanTheBucketHolds_GrantsItsCapacityThenAlmostNothing_PerBucket()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var budget = host.Services.GetRequiredService<IDispatchRateBudget>();

        var first = await budget.TakeAsync("test-v1", wanted: 10, perSecond: 1, capacity: 5, CancellationToken.None);
        var second = await budget.TakeAsync("test-v1", wanted: 5, perSecond: 1, capacity: 5, CancellationToken.None);
        var otherBucket = await budget.TakeAsync("test-v2", wanted: 3, perSecond: 1, capacity: 5, CancellationToken.None);

        Assert.Equal(5, first);
        Assert.NotNull(second);
        Assert.InRange(second.Value, 0, 4); // refilled at one a second: far from full again
        Assert.Equal(3, otherBucket);
    }

    [Fact]
    public async Task SharedBudget_ManyConcurrentTakes_NeverGrantMoreThanTheBucketHeldPlusItsRefill()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var budget = host.Services.GetRequiredService<IDispatchRateBudget>();
        var started = System.Diagnostics.Stopwatch.StartNew();

        var grants = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => budget.TakeAsync("race", wanted: 3, perSecond: 10, capacity: 20, CancellationToken.None)));
        var elapsed = started.Elapsed.TotalSeconds;

        // Not a timing assertion: the bound grows with however long the takes took.
        Assert.All(grants, g => Assert.InRange(g!.Value, 0, 3));
        Assert.InRange(grants.Sum(g => g!.Value), 20, 20 + (int)Math.Ceiling(elapsed * 10));
    }

    [Fact]
    public async Task V2Stream_OnePass_ClaimsAheadAndCompletesEveryRowOnce()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price, configure: o =>
        {
            o.Dispatcher.Transport = MeterEventTransport.V2Stream;
            o.Dispatcher.BatchSize = 7;
        });
        var identifiers = await DispatcherTests.SeedLinkedReportsAsync(host, stripe, organizations: 3, reportsEach: 15);
        var dispatcher = host.Services.GetRequiredService<IMeterEventDispatcher>();

        // 45 rows in batches of 7: one pass takes them all (7 claims, at most 10 a pass).
        Assert.Equal(identifiers.Count, await dispatcher.DispatchOnceAsync());
        Assert.Equal(0, await dispatcher.DispatchOnceAsync());

        Assert.Equal(identifiers.OrderBy(x => x), stripe.State.MeterEvents.Select(e => e.Identifier).OrderBy(x => x));
        Assert.True(stripe.Requests.Count(r => r.Path == "/v2/billing/meter_event_stream") >= 7);
        await using var db = host.CreateDbContext();
        Assert.Equal(identifiers.Count, await db.MeterEventOutbox.CountAsync(m => m.Status == OutboxStatus.Sent && m.LeaseOwner == null));
    }

    [Fact]
    public async Task V2Stream_MoreBatchesThanOnePassTakes_PassEndsAndTheNextOneContinues()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price, configure: o =>
        {
            o.Dispatcher.Transport = MeterEventTransport.V2Stream;
            o.Dispatcher.BatchSize = 1;
        });
        var identifiers = await DispatcherTests.SeedLinkedReportsAsync(host, stripe, organizations: 1, reportsEach: 13);
        var dispatcher = host.Services.GetRequiredService<IMeterEventDispatcher>();

        Assert.Equal(MeterEventDispatcher.MaxStreamBatchesPerPass, await dispatcher.DispatchOnceAsync());
        Assert.Equal(identifiers.Count - MeterEventDispatcher.MaxStreamBatchesPerPass, await dispatcher.DispatchOnceAsync());

        Assert.Equal(identifiers.OrderBy(x => x), stripe.State.MeterEvents.Select(e => e.Identifier).OrderBy(x => x));
        await using var db = host.CreateDbContext();
        Assert.Equal(identifiers.Count, await db.MeterEventOutbox.CountAsync(m => m.Status == OutboxStatus.Sent));
    }

    [Fact]
    public async Task V2Stream_OneChunkRefused_LeavesExactlyItsRowsPending_TheAcceptedChunksAreCompletedTogether()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price, configure: o =>
        {
            o.Dispatcher.Transport = MeterEventTransport.V2Stream;
            o.Dispatcher.BatchSize = 5; // each claim is one chunk of 5: five chunks in one pass, sent three at a time
            o.Dispatcher.Concurrency = 3;
            o.Stripe.MaxRetries = 0;
        });
        var identifiers = await DispatcherTests.SeedLinkedReportsAsync(host, stripe, organizations: 1, reportsEach: 25);
        Assert.Equal(25, identifiers.Count);
        var dispatcher = host.Services.GetRequiredService<IMeterEventDispatcher>();
        stripe.InjectFault("/v2/billing/meter_event_stream", StripeFault.Status(500), count: 1);

        Assert.Equal(25, await dispatcher.DispatchOnceAsync());

        // Stripe counted the four accepted chunks; the refused chunk's five rows, and only they, wait for their retry.
        await using (var db = host.CreateDbContext())
        {
            var rows = await db.MeterEventOutbox.AsNoTracking().ToListAsync();
            var pending = rows.Where(m => m.Status == OutboxStatus.Pending).ToList();
            var sent = rows.Where(m => m.Status == OutboxStatus.Sent).ToList();
            Assert.Equal(5, pending.Count);
            Assert.Equal(20, sent.Count);
            Assert.All(rows, m => Assert.Null(m.LeaseOwner));
            Assert.All(pending, m => Assert.True(m.NextAttemptAt > stripe.Clock.GetUtcNow(), "a refused row waits for its backoff"));
            Assert.All(pending, m => Assert.NotNull(m.LastError));
            Assert.Equal(sent.Select(m => m.Identifier).Order(), stripe.State.MeterEvents.Select(e => e.Identifier).Order());
        }

        stripe.Clock.Advance(TimeSpan.FromHours(1)); // past the backoff
        await DrainAsync(dispatcher);

        Assert.Equal(identifiers.Order(), stripe.State.MeterEvents.Select(e => e.Identifier).Order());
        await using var after = host.CreateDbContext();
        Assert.Equal(25, await after.MeterEventOutbox.CountAsync(m => m.Status == OutboxStatus.Sent && m.LeaseOwner == null));
    }

    private static async Task DrainAsync(IMeterEventDispatcher dispatcher)
    {
        while (await dispatcher.DispatchOnceAsync() > 0)
        {
        }
    }
}
