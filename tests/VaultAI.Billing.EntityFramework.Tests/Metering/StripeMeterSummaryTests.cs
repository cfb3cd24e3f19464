using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Stripe;
using Stripe.Billing;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Metering;

/// <summary>
/// What Stripe bills equals what the ledger counted: for every aggregation, the meter event summary Stripe answers for a
/// billing period equals the ledger's period total in the metric's smallest unit, also across a period boundary that falls
/// inside a roll-up window. Meters are configured as the server README says: <c>sum</c> for Sum and Count, <c>last</c> for
/// Last and Max.
/// </summary>
public sealed class StripeMeterSummaryTests : IAsyncLifetime
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    // The subscription starts 37 min 13 s into an hour: its one-day trial, and so its first period, ends inside an hourly window.
    private static readonly TimeSpan OddOffset = new(0, 37, 13);

    private MeteredCatalog _catalog = null!;
    private DateTimeOffset _periodStart;
    private DateTimeOffset _boundary;

    public async Task InitializeAsync()
    {
        _catalog = await MeteredCatalog.StartAsync(
            ("call_minutes", new MetricDefinition { Unit = "minutes", Aggregation = MetricAggregation.Sum, Decimals = 2 }),
            ("api_calls", new MetricDefinition { Unit = "calls", Aggregation = MetricAggregation.Count }),
            ("seats", new MetricDefinition { Unit = "seats", Aggregation = MetricAggregation.Last }),
            ("peak_storage_gb", new MetricDefinition { Unit = "GB", Aggregation = MetricAggregation.Max, Decimals = 3 }));
        var clock = _catalog.Stripe.Clock;
        var now = clock.GetUtcNow();
        var target = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero) + OddOffset;
        clock.Advance((target > now ? target : target + Hour) - now);

        await _catalog.LinkAsync(trialDays: 1);
        var organization = await _catalog.OrganizationAsync();
        _periodStart = organization.CurrentPeriodStart!.Value;
        _boundary = organization.CurrentPeriodEnd!.Value;
        Assert.Equal(OddOffset, TimeSpan.FromTicks(_boundary.UtcTicks % Hour.Ticks));
    }

    public async Task DisposeAsync() => await _catalog.DisposeAsync();

    [Fact]
    public async Task EachAggregation_EventsOverSeveralWindowsAndLateOnes_StripeSummaryOfThePeriodEqualsTheLedgerTotal()
    {
        _catalog.Stripe.Clock.Advance(10 * Hour);
        var recorder = _catalog.Host.Services.GetRequiredService<IUsageRecorder>();
        var t0 = _periodStart + Hour;
        var events = new List<UsageEvent>();
        for (var w = 0; w < 5; w++)
        {
            var at = t0 + (w * Hour);
            events.Add(new($"min-{w}-a", "call_minutes", 1.25m + w, at));
            events.Add(new($"min-{w}-b", "call_minutes", 0.05m, at.AddMinutes(20)));
            events.Add(new($"call-{w}-a", "api_calls", 40, at));
            events.Add(new($"call-{w}-b", "api_calls", 2, at.AddMinutes(1)));
            events.Add(new($"seat-{w}", "seats", 10 + w, at.AddMinutes(5)));
            events.Add(new($"peak-{w}", "peak_storage_gb", 2.5m + (w % 3), at.AddMinutes(7)));
        }

        await recorder.RecordAsync(_catalog.OrganizationId, events);
        await _catalog.DrainAsync();

        // Late events for windows already sent: more minutes and calls, an earlier seat count, a new period peak in the first window.
        await recorder.RecordAsync(_catalog.OrganizationId, [
            new("min-late", "call_minutes", 0.33m, t0.AddMinutes(50)),
            new("call-late", "api_calls", 1, t0.AddMinutes(51)),
            new("seat-late", "seats", 99, t0.AddMinutes(52)),
            new("peak-late", "peak_storage_gb", 7.125m, t0.AddMinutes(53)),
        ]);
        await _catalog.DrainAsync();

        var totals = await _catalog.LedgerTotalsAsync(_periodStart);
        Assert.Equal(16.83m, totals["call_minutes"]);
        Assert.Equal(11m, totals["api_calls"]);
        Assert.Equal(14m, totals["seats"]);
        Assert.Equal(7.125m, totals["peak_storage_gb"]);
        foreach (var (metric, total) in totals)
        {
            Assert.Equal(_catalog.SmallestUnits(metric, total), await _catalog.SummaryAsync(metric, _periodStart, _boundary));
        }

        Assert.True(_catalog.Stripe.State.MeterEvents.Count(e => e.EventName == "call_minutes") > 5, "the late minutes went as a correction");
    }

    [Fact]
    public async Task WindowHoldingThePeriodBoundary_IsSentInTwoParts_EachStampedInsideItsOwnPeriod()
    {
        var window = _boundary - OddOffset;
        _catalog.Stripe.Clock.Advance(_boundary + TimeSpan.FromMinutes(15) - _catalog.Stripe.Clock.GetUtcNow());
        var recorder = _catalog.Host.Services.GetRequiredService<IUsageRecorder>();
        await recorder.RecordAsync(_catalog.OrganizationId, [
            new("before-1", "call_minutes", 2.5m, _boundary.AddMinutes(-20)),
            new("before-2", "call_minutes", 0.25m, _boundary.AddSeconds(-1)),
            new("at", "call_minutes", 1m, _boundary),
            new("after", "call_minutes", 0.5m, _boundary.AddMinutes(10)),
            new("calls-before", "api_calls", 1, _boundary.AddMinutes(-5)),
            new("calls-after", "api_calls", 1, _boundary.AddMinutes(5)),
            new("calls-after-2", "api_calls", 1, _boundary.AddMinutes(6)),
        ]);

        _catalog.Stripe.Clock.Advance(Hour);
        await _catalog.DrainAsync();

        var minutes = _catalog.Stripe.State.MeterEvents.Where(e => e.EventName == "call_minutes").OrderBy(e => e.Timestamp).ToList();
        Assert.Equal(2, minutes.Count);
        Assert.Equal([275L, 150L], minutes.Select(e => e.Value));
        Assert.InRange(minutes[0].Timestamp, window, _boundary.AddSeconds(-1));
        Assert.InRange(minutes[1].Timestamp, _boundary, window + Hour - TimeSpan.FromSeconds(1));
        Assert.EndsWith($":{window.ToUnixTimeSeconds()}:0", minutes[0].Identifier, StringComparison.Ordinal);
        Assert.EndsWith($":{_boundary.ToUnixTimeSeconds()}:0", minutes[1].Identifier, StringComparison.Ordinal);
        Assert.All(_catalog.Stripe.State.MeterEvents, e => Assert.True(e.Identifier.Length <= 100, e.Identifier));

        var first = await _catalog.LedgerTotalsAsync(_periodStart);
        var second = await _catalog.LedgerTotalsAsync(_boundary);
        Assert.Equal(2.75m, first["call_minutes"]);
        Assert.Equal(1.5m, second["call_minutes"]);
        Assert.Equal(275, await _catalog.SummaryAsync("call_minutes", _periodStart, _boundary));
        Assert.Equal(150, await _catalog.SummaryAsync("call_minutes", _boundary, _boundary.AddDays(1)));
        Assert.Equal(1, await _catalog.SummaryAsync("api_calls", _periodStart, _boundary));
        Assert.Equal(2, await _catalog.SummaryAsync("api_calls", _boundary, _boundary.AddDays(1)));
    }

    [Fact]
    public async Task Max_LaterWindowsLowerThenALatePeak_StripesLastOfThePeriodIsTheLedgersPeriodMaximum()
    {
        _catalog.Stripe.Clock.Advance(10 * Hour);
        var recorder = _catalog.Host.Services.GetRequiredService<IUsageRecorder>();
        var t0 = _periodStart + Hour;
        await recorder.RecordAsync(_catalog.OrganizationId, [new("p1", "peak_storage_gb", 5m, t0), new("p2", "peak_storage_gb", 4.5m, t0.AddMinutes(30))]);
        await _catalog.DrainAsync();
        await recorder.RecordAsync(_catalog.OrganizationId, new UsageEvent("p3", "peak_storage_gb", 3m, t0 + (3 * Hour)));
        await _catalog.DrainAsync();
        Assert.Equal(5000, await _catalog.SummaryAsync("peak_storage_gb", _periodStart, _boundary));

        await recorder.RecordAsync(_catalog.OrganizationId, new UsageEvent("p4", "peak_storage_gb", 6.5m, t0.AddMinutes(10)));
        await _catalog.DrainAsync();

        Assert.Equal(6.5m, (await _catalog.LedgerTotalsAsync(_periodStart))["peak_storage_gb"]);
        Assert.Equal(6500, await _catalog.SummaryAsync("peak_storage_gb", _periodStart, _boundary));
        Assert.Equal(3, _catalog.Stripe.State.MeterEvents.Count(e => e.EventName == "peak_storage_gb"));
    }

    [Fact]
    public async Task UsageBeforeTheSubscription_IsKeptInTheLedgerMarkedNotBillable_AndNeverSent()
    {
        _catalog.Stripe.Clock.Advance(2 * Hour);
        var recorder = _catalog.Host.Services.GetRequiredService<IUsageRecorder>();
        await recorder.RecordAsync(_catalog.OrganizationId, [
            new("early", "call_minutes", 4m, _periodStart.AddMinutes(-30)),
            new("inside", "call_minutes", 1m, _periodStart.AddMinutes(10)),
        ]);

        _catalog.Stripe.Clock.Advance(Hour);
        await _catalog.DrainAsync();

        await using var db = _catalog.Host.CreateDbContext();
        var reasons = await db.UsageEvents.Where(e => e.OrganizationId == _catalog.OrganizationId).ToDictionaryAsync(e => e.EventId, e => e.NotBillableReason);
        Assert.Equal(UsageRollup.NoSubscriptionReason, reasons["early"]);
        Assert.Null(reasons["inside"]);
        Assert.Equal(100, Assert.Single(_catalog.Stripe.State.MeterEvents).Value);
        Assert.Equal(100, await _catalog.SummaryAsync("call_minutes", _periodStart, _boundary));
    }
}

/// <summary>
/// A billing host with a catalog of its own, a Stripe meter per metric (created through Stripe.net on the emulator), and one
/// registered organization; helpers to link it, drain the dispatcher and read Stripe's meter event summaries.
/// </summary>
internal sealed class MeteredCatalog : IAsyncDisposable
{
    private readonly Dictionary<string, (MetricDefinition Definition, string MeterId)> _metrics;

    private MeteredCatalog(StripeEmulator stripe, BillingTestHost host, StripeClient client, Guid organizationId, string token, Dictionary<string, (MetricDefinition, string)> metrics)
    {
        Stripe = stripe;
        Host = host;
        Client = client;
        OrganizationId = organizationId;
        Token = token;
        _metrics = metrics;
    }

    public StripeEmulator Stripe { get; }

    public BillingTestHost Host { get; }

    public StripeClient Client { get; }

    public Guid OrganizationId { get; }

    public string Token { get; }

    /// <summary>Starts the host with exactly these metrics, each billed through a meter named after its key.</summary>
    public static async Task<MeteredCatalog> StartAsync(params (string Key, MetricDefinition Definition)[] metrics)
    {
        var stripe = await StripeEmulator.StartAsync();
        var baseAddress = stripe.BaseAddress.ToString().TrimEnd('/');
        var client = new StripeClient(new StripeClientOptions { ApiKey = stripe.ApiKey, ApiBase = baseAddress, MeterEventsBase = baseAddress });
        var created = new Dictionary<string, (MetricDefinition, string)>(StringComparer.Ordinal);
        foreach (var (key, definition) in metrics)
        {
            definition.MeterEventName = key;
            var meter = await client.V1.Billing.Meters.CreateAsync(new MeterCreateOptions
            {
                DisplayName = key,
                EventName = key,
                DefaultAggregation = new MeterDefaultAggregationOptions { Formula = definition.Aggregation is MetricAggregation.Sum or MetricAggregation.Count ? "sum" : "last" },
                CustomerMapping = new MeterCustomerMappingOptions { Type = "by_id", EventPayloadKey = "stripe_customer_id" },
                ValueSettings = new MeterValueSettingsOptions { EventPayloadKey = "value" },
            });
            created[key] = (definition, meter.Id);
        }

        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        var host = await BillingTestHost.StartAsync(stripe, price, configure: options =>
        {
            foreach (var (key, definition) in metrics)
            {
                options.Metrics[key] = definition;
            }
        });
        var organizationId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, organizationId, "Metered Org");
        return new MeteredCatalog(stripe, host, client, organizationId, token, created);
    }

    public async Task LinkAsync(int trialDays = 4) =>
        (await InstanceCalls.LinkAsync(Host.Admin, OrganizationId, trialDays: trialDays)).EnsureSuccessStatusCode();

    public async Task<Organizations.Organization> OrganizationAsync()
    {
        await using var db = Host.CreateDbContext();
        return await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == OrganizationId);
    }

    public async Task<Dictionary<string, decimal>> LedgerTotalsAsync(DateTimeOffset periodStart)
    {
        await using var db = Host.CreateDbContext();
        return await db.UsageTotals.Where(t => t.OrganizationId == OrganizationId && t.PeriodStart == periodStart).ToDictionaryAsync(t => t.Metric, t => t.Total);
    }

    public long SmallestUnits(string metric, decimal total) =>
        _metrics[metric].Definition.Aggregation == MetricAggregation.Count ? (long)total : UsageRollup.ToSmallestUnits(total, _metrics[metric].Definition.Decimals);

    /// <summary>Stripe's aggregated value of a metric's meter for the organization's customer over [from, to).</summary>
    public async Task<long> SummaryAsync(string metric, DateTimeOffset from, DateTimeOffset to)
    {
        var customer = (await OrganizationAsync()).StripeCustomerId!;
        var summaries = await Client.V1.Billing.Meters.EventSummaries.ListAsync(_metrics[metric].MeterId, new MeterEventSummaryListOptions
        {
            Customer = customer,
            StartTime = from.UtcDateTime,
            EndTime = to.UtcDateTime,
        });
        return (long)Assert.Single(summaries.Data).AggregatedValue;
    }

    /// <summary>Lets every closed window's grace pass, then sends everything due.</summary>
    public async Task DrainAsync()
    {
        Stripe.Clock.Advance(TimeSpan.FromMinutes(10));
        var dispatcher = Host.Services.GetRequiredService<IMeterEventDispatcher>();
        while (await dispatcher.DispatchOnceAsync() > 0)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Stripe.DisposeAsync();
    }
}
