using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Storage;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Metering;

/// <summary>Tracked metrics with a Stripe meter reach Stripe rolled up per (organization, metric, window), exactly once.</summary>
public sealed class RollupTests : IAsyncLifetime
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private StripeEmulator _stripe = null!;
    private BillingTestHost _host = null!;
    private Guid _org;
    private string _token = "";

    public async Task InitializeAsync()
    {
        _stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(_stripe);
        _host = await MeteringHost.StartAsync(_stripe, price, configure: o =>
        {
            o.Metrics["call_minutes"].MeterEventName = "call_minutes";
            o.Metrics["api_calls"].MeterEventName = "api_calls";
            o.Metrics["peak_storage_gb"].MeterEventName = "peak_storage";
            o.Metrics["seats"].MeterEventName = "seats";
            o.Metrics["tokens_k"] = new MetricDefinition { Aggregation = MetricAggregation.Sum, Decimals = 3, MeterEventName = "tokens_k" };
            o.Metrics["tracked_only"] = new MetricDefinition { Aggregation = MetricAggregation.Sum };
        });
        _org = Guid.NewGuid();
        _token = await InstanceCalls.RegisterAsync(_host.Client, _org, "Rollup Org");
        (await InstanceCalls.LinkAsync(_host.Admin, _org)).EnsureSuccessStatusCode();

        // Stripe bills only usage inside the subscription's period: the tests' usage happens in the hours after linking.
        _stripe.Clock.Advance(TimeSpan.FromHours(4));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _stripe.DisposeAsync();
    }

    [Fact]
    public async Task SumWithDecimals_TenThousandThousandths_ReachStripeAsExactlyTenThousandSmallestUnits()
    {
        var w0 = WindowStart(_stripe.Clock.GetUtcNow());
        var recorder = _host.Services.GetRequiredService<IUsageRecorder>();
        for (var batch = 0; batch < 10; batch++)
        {
            var events = Enumerable.Range(batch * 1000, 1000)
                .Select(k => new UsageEvent($"tok-{k}", "tokens_k", 0.001m, w0 - (3 * Hour) + ((k % 3) * Hour) + TimeSpan.FromMilliseconds(100 * (k / 3))))
                .ToList();
            Assert.Equal(1000, (await recorder.RecordAsync(_org, events)).Accepted);
        }

        await CloseAndDrainAsync();

        var sent = Sent("tokens_k");
        Assert.Equal(3, sent.Count);
        Assert.Equal(10_000, sent.Sum(e => e.Value));
        Assert.All(sent, e => Assert.EndsWith(":0", e.Identifier, StringComparison.Ordinal));
        Assert.Equal(10m, (await MeteringHost.StoredAsync(_host, _org)).Totals["tokens_k"]);
    }

    [Fact]
    public async Task SumLateEvent_AfterWindowSent_SendsExactlyOneCorrection_AndDuplicatesChangeNothing()
    {
        var window = WindowStart(_stripe.Clock.GetUtcNow()) - (2 * Hour);
        var recorder = _host.Services.GetRequiredService<IUsageRecorder>();
        await recorder.RecordAsync(_org, [new("m1", "call_minutes", 1.25m, window.AddMinutes(1)), new("m2", "call_minutes", 2.5m, window.AddMinutes(2))]);
        await CloseAndDrainAsync();
        Assert.Equal(375, Assert.Single(Sent("call_minutes")).Value);

        await recorder.RecordAsync(_org, new UsageEvent("m3", "call_minutes", 0.75m, window.AddMinutes(30)));
        await DrainAsync();
        await recorder.RecordAsync(_org, [new("m1", "call_minutes", 1.25m, window.AddMinutes(1)), new("m3", "call_minutes", 0.75m, window.AddMinutes(30))]);
        await DrainAsync();

        var sent = Sent("call_minutes");
        Assert.Equal(2, sent.Count);
        Assert.Equal(75, sent[1].Value);
        Assert.EndsWith(":1", sent[1].Identifier, StringComparison.Ordinal);
        Assert.Equal(450, sent.Sum(e => e.Value));
        Assert.Equal(4.5m, (await MeteringHost.StoredAsync(_host, _org)).Totals["call_minutes"]);
    }

    [Fact]
    public async Task Count_EventsAndDuplicates_SendsTheNumberOfDistinctEvents()
    {
        var window = WindowStart(_stripe.Clock.GetUtcNow()) - Hour;
        var recorder = _host.Services.GetRequiredService<IUsageRecorder>();
        var events = Enumerable.Range(0, 7).Select(i => new UsageEvent($"c{i}", "api_calls", 5, window.AddMinutes(i))).ToList();
        await recorder.RecordAsync(_org, events);
        Assert.Equal(7, (await recorder.RecordAsync(_org, events)).Duplicates);

        await CloseAndDrainAsync();

        Assert.Equal(7, Assert.Single(Sent("api_calls")).Value);
        Assert.Equal(7m, (await MeteringHost.StoredAsync(_host, _org)).Totals["api_calls"]);
    }

    [Fact]
    public async Task Max_LateEvents_CorrectOnlyWhenTheWindowMaximumChanges()
    {
        var window = WindowStart(_stripe.Clock.GetUtcNow()) - (2 * Hour);
        var recorder = _host.Services.GetRequiredService<IUsageRecorder>();
        await recorder.RecordAsync(_org, [new("p1", "peak_storage_gb", 1.5m, window.AddMinutes(1)), new("p2", "peak_storage_gb", 3.25m, window.AddMinutes(2)), new("p3", "peak_storage_gb", 2m, window.AddMinutes(3))]);
        await CloseAndDrainAsync();
        Assert.Equal(3250, Assert.Single(Sent("peak_storage")).Value);

        await recorder.RecordAsync(_org, new UsageEvent("p4", "peak_storage_gb", 1m, window.AddMinutes(4)));
        await DrainAsync();
        Assert.Single(Sent("peak_storage"));

        await recorder.RecordAsync(_org, new UsageEvent("p5", "peak_storage_gb", 4.125m, window.AddMinutes(5)));
        await DrainAsync();
        var sent = Sent("peak_storage");
        Assert.Equal(2, sent.Count);
        Assert.Equal(4125, sent[1].Value);
        Assert.Equal(4.125m, (await MeteringHost.StoredAsync(_host, _org)).Totals["peak_storage_gb"]);
    }

    [Fact]
    public async Task Last_LateEvents_CorrectOnlyWhenTheWindowsLastValueChanges_WithALaterTimestamp()
    {
        var window = WindowStart(_stripe.Clock.GetUtcNow()) - (2 * Hour);
        var recorder = _host.Services.GetRequiredService<IUsageRecorder>();
        await recorder.RecordAsync(_org, [new("s1", "seats", 5, window.AddMinutes(10)), new("s2", "seats", 3, window.AddMinutes(20))]);
        await CloseAndDrainAsync();
        Assert.Equal(3, Assert.Single(Sent("seats")).Value);

        await recorder.RecordAsync(_org, new UsageEvent("s0", "seats", 9, window.AddMinutes(5)));
        await DrainAsync();
        Assert.Single(Sent("seats"));

        await recorder.RecordAsync(_org, new UsageEvent("s3", "seats", 4, window.AddMinutes(30)));
        await DrainAsync();
        var sent = Sent("seats");
        Assert.Equal(2, sent.Count);
        Assert.Equal(4, sent[1].Value);
        Assert.True(sent[1].Timestamp > sent[0].Timestamp, "a correction must be Stripe's last event of the window");
        Assert.Equal(4m, (await MeteringHost.StoredAsync(_host, _org)).Totals["seats"]);
    }

    [Fact]
    public async Task ClaimedRow_LateEventAndCrashedDispatcher_ResendsTheSameIdentifierAndCorrectsSeparately()
    {
        var window = WindowStart(_stripe.Clock.GetUtcNow()) - (2 * Hour);
        var recorder = _host.Services.GetRequiredService<IUsageRecorder>();
        await recorder.RecordAsync(_org, new UsageEvent("k1", "call_minutes", 2m, window.AddMinutes(1)));

        // A dispatcher claims the window's row and dies before sending; meanwhile a late event arrives.
        var store = _host.Services.GetRequiredService<IBillingStore>();
        var now = _stripe.Clock.GetUtcNow();
        var claimed = Assert.Single(await store.ClaimOutboxAsync(10, "crashed", now, now.AddMinutes(2)));
        await recorder.RecordAsync(_org, new UsageEvent("k2", "call_minutes", 0.5m, window.AddMinutes(2)));

        _stripe.Clock.Advance(TimeSpan.FromMinutes(3)); // the lease expires
        await DrainAsync();
        await DrainAsync();

        var sent = Sent("call_minutes");
        Assert.Equal(2, sent.Count);
        Assert.Equal(claimed.Identifier, sent[0].Identifier);
        Assert.Equal(200, sent[0].Value);
        Assert.Equal(50, sent[1].Value);
        await using var db = _host.CreateDbContext();
        Assert.Equal(2, await db.MeterEventOutbox.CountAsync(m => m.UsageReportId == null && m.Status == OutboxStatus.Sent));
    }

    [Fact]
    public async Task DispatcherDiedBetweenSendAndMark_LeaseExpires_EveryWindowReachesStripeOnce()
    {
        var window = WindowStart(_stripe.Clock.GetUtcNow()) - (3 * Hour);
        var recorder = _host.Services.GetRequiredService<IUsageRecorder>();
        await recorder.RecordAsync(_org, [
            new("d1", "call_minutes", 1.5m, window.AddMinutes(1)),
            new("d2", "call_minutes", 2m, window + Hour),
            new("d3", "api_calls", 1, window.AddMinutes(3)),
        ]);

        // A dispatcher claims the windows, Stripe takes every event it sends, and it dies before marking any row sent.
        var store = _host.Services.GetRequiredService<IBillingStore>();
        var now = _stripe.Clock.GetUtcNow();
        var claimed = await store.ClaimOutboxAsync(10, "died-after-send", now, now.AddMinutes(2));
        Assert.Equal(3, claimed.Count);
        var baseAddress = _stripe.BaseAddress.ToString().TrimEnd('/');
        var stripe = new global::Stripe.StripeClient(new global::Stripe.StripeClientOptions { ApiKey = _stripe.ApiKey, ApiBase = baseAddress });
        foreach (var row in claimed)
        {
            await stripe.V1.Billing.MeterEvents.CreateAsync(new global::Stripe.Billing.MeterEventCreateOptions
            {
                EventName = row.EventName,
                Identifier = row.Identifier,
                Timestamp = row.Timestamp.UtcDateTime,
                Payload = new Dictionary<string, string> { ["stripe_customer_id"] = row.StripeCustomerId, ["value"] = row.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            });
        }

        _stripe.Clock.Advance(TimeSpan.FromMinutes(3)); // the lease expires
        await DrainAsync();

        Assert.Equal([150L, 200L], Sent("call_minutes").Select(e => e.Value));
        Assert.Equal(1, Assert.Single(Sent("api_calls")).Value);
        await using var db = _host.CreateDbContext();
        Assert.Equal(3, await db.MeterEventOutbox.CountAsync(m => m.UsageReportId == null && m.Status == OutboxStatus.Sent));
    }

    [Fact]
    public async Task ConcurrentWritersAndDispatcher_OneClosedWindow_StripeReceivesTheLedgerTotalExactly()
    {
        var window = WindowStart(_stripe.Clock.GetUtcNow()) - (2 * Hour);
        _stripe.Clock.Advance(TimeSpan.FromMinutes(10));
        var recorder = _host.Services.GetRequiredService<IUsageRecorder>();
        var dispatcher = _host.Services.GetRequiredService<IMeterEventDispatcher>();
        using var done = new CancellationTokenSource();
        var dispatching = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                await dispatcher.DispatchOnceAsync();
            }
        });
        var writers = Enumerable.Range(0, 20).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await recorder.RecordAsync(_org, new UsageEvent($"cw-{w}-{i}", "call_minutes", 1.01m, window.AddSeconds((w * 10) + i)));
            }
        })).ToList();
        await Task.WhenAll(writers);
        await done.CancelAsync();
        await dispatching;
        await DrainAsync();

        var sent = Sent("call_minutes");
        Assert.Equal(200 * 101, sent.Sum(e => e.Value));
        Assert.Equal(sent.Count, sent.Select(e => e.Identifier).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(202m, (await MeteringHost.StoredAsync(_host, _org)).Totals["call_minutes"]);
        await using var db = _host.CreateDbContext();
        Assert.Equal(0, await db.MeterEventOutbox.CountAsync(m => m.Status != OutboxStatus.Sent));
    }

    [Fact]
    public async Task HttpRoute_SumBatchAndResend_ReachesStripeOnceInSmallestUnits()
    {
        var window = WindowStart(_stripe.Clock.GetUtcNow()) - Hour;
        var body = MeteringHost.Batch(
            MeteringHost.Event("h1", "call_minutes", "1.5", window.AddMinutes(1)),
            MeteringHost.Event("h2", "call_minutes", "0.25", window.AddMinutes(2)));
        await MeteringHost.PostOkAsync(_host, _token, body);
        var resend = await MeteringHost.PostOkAsync(_host, _token, body);
        Assert.Equal(2, resend.GetProperty("duplicates").GetInt32());

        await CloseAndDrainAsync();

        Assert.Equal(175, Assert.Single(Sent("call_minutes")).Value);
    }

    [Fact]
    public async Task Events_OlderThanStripesWindowOrTrackedOnly_AreNotQueued_OldOnesMarkedNotBillable()
    {
        var now = _stripe.Clock.GetUtcNow();
        var recorder = _host.Services.GetRequiredService<IUsageRecorder>();
        await recorder.RecordAsync(_org, [new("old", "call_minutes", 1m, now.AddDays(-36)), new("t1", "tracked_only", 3m, now.AddHours(-2))]);

        await CloseAndDrainAsync();

        Assert.Empty(_stripe.State.MeterEvents);
        var stored = await MeteringHost.StoredAsync(_host, _org);
        Assert.Equal(2, stored.Events);
        await using var db = _host.CreateDbContext();
        var reasons = await db.UsageEvents.Where(e => e.OrganizationId == _org).ToDictionaryAsync(e => e.EventId, e => e.NotBillableReason);
        Assert.Equal(UsageRollup.OutsideStripeWindowReason, reasons["old"]);
        Assert.Null(reasons["t1"]);
    }

    private static DateTimeOffset WindowStart(DateTimeOffset at) => new UsageRollup(new Dictionary<string, MetricDefinition>(), Hour, TimeSpan.Zero, at).WindowStart(at);

    private List<EmulatedMeterEvent> Sent(string eventName) =>
        _stripe.State.MeterEvents.Where(e => e.EventName == eventName).OrderBy(e => e.Identifier, StringComparer.Ordinal).ToList();

    private async Task CloseAndDrainAsync()
    {
        _stripe.Clock.Advance(TimeSpan.FromMinutes(10));
        await DrainAsync();
    }

    private async Task DrainAsync()
    {
        var dispatcher = _host.Services.GetRequiredService<IMeterEventDispatcher>();
        while (await dispatcher.DispatchOnceAsync() > 0)
        {
        }
    }
}
