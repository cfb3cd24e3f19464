using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Testing;
using static VaultAI.Billing.EntityFramework.Tests.Metering.MeteringHost;

namespace VaultAI.Billing.EntityFramework.Tests.Metering;

public sealed class UsageEventsTests : IAsyncLifetime
{
    private StripeEmulator _stripe = null!;
    private BillingTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _stripe = await StripeEmulator.StartAsync();
        _host = await MeteringHost.StartAsync(_stripe, configure: o => o.UsageEvents.MaxEventsPerBatch = 5);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _stripe.DisposeAsync();
    }

    public static TheoryData<string, string, string, string> BadBatches()
    {
        const string Good = "{GOOD}";
        return new TheoryData<string, string, string, string>
        {
            // name, second event (or whole body), expected field, expected code
            { "unknown metric", """{"id":"e2","metric":"gpu_hours","quantity":1,"timestamp":"{NOW}"}""", "events[1].metric", "unknown_metric" },
            { "negative quantity", """{"id":"e2","metric":"call_minutes","quantity":-1,"timestamp":"{NOW}"}""", "events[1].quantity", "negative_quantity" },
            { "quantity as string", """{"id":"e2","metric":"call_minutes","quantity":"5","timestamp":"{NOW}"}""", "events[1].quantity", "wrong_type" },
            { "quantity missing", """{"id":"e2","metric":"call_minutes","timestamp":"{NOW}"}""", "events[1].quantity", "missing_field" },
            { "too many decimals", """{"id":"e2","metric":"call_minutes","quantity":1.005,"timestamp":"{NOW}"}""", "events[1].quantity", "too_many_decimals" },
            { "fraction on a whole-number metric", """{"id":"e2","metric":"seats","quantity":2.5,"timestamp":"{NOW}"}""", "events[1].quantity", "too_many_decimals" },
            { "quantity beyond decimal", """{"id":"e2","metric":"call_minutes","quantity":1e40,"timestamp":"{NOW}"}""", "events[1].quantity", "out_of_range" },
            { "timestamp six minutes ahead", """{"id":"e2","metric":"call_minutes","quantity":1,"timestamp":"{AHEAD}"}""", "events[1].timestamp", "timestamp_in_future" },
            { "timestamp without offset", """{"id":"e2","metric":"call_minutes","quantity":1,"timestamp":"2026-11-03T03:00:00"}""", "events[1].timestamp", "invalid_timestamp" },
            { "id missing", """{"metric":"call_minutes","quantity":1,"timestamp":"{NOW}"}""", "events[1].id", "missing_field" },
            { "id empty", """{"id":"","metric":"call_minutes","quantity":1,"timestamp":"{NOW}"}""", "events[1].id", "missing_field" },
            { "id over 255", $$"""{"id":"{{new string('x', 256)}}","metric":"call_minutes","quantity":1,"timestamp":"{NOW}"}""", "events[1].id", "too_long" },
            { "properties over 2 KiB", "{\"id\":\"e2\",\"metric\":\"call_minutes\",\"quantity\":1,\"timestamp\":\"{NOW}\",\"properties\":{\"note\":\"" + new string('x', 2048) + "\"}}", "events[1].properties", "properties_too_large" },
            { "properties not an object", """{"id":"e2","metric":"call_minutes","quantity":1,"timestamp":"{NOW}","properties":[1]}""", "events[1].properties", "wrong_type" },
            { "event not an object", "42", "events[1]", "wrong_type" },
            { "more events than allowed", string.Join(",", Enumerable.Range(0, 5).Select(i => Good.Replace("e1", $"x{i}", StringComparison.Ordinal))), "events", "too_many_events" },
            { "events not an array", "BODY:{\"events\":{\"id\":\"e1\"}}", "events", "wrong_type" },
            { "events missing", "BODY:{\"items\":[]}", "events", "missing_field" },
            { "body not JSON", "BODY:{\"events\":[", "body", "malformed_json" },
            { "body an array", "BODY:[]", "body", "malformed_json" },
            { "organization_id not a UUID", "BODY:{\"organization_id\":\"abc\",\"events\":[{GOOD}]}", "organization_id", "invalid_field" },
        };
    }

    [Theory]
    [MemberData(nameof(BadBatches))]
    public async Task RecordUsageEvents_OneBadEvent_Answers400NamingTheFieldAndStoresNothing(string name, string second, string field, string code)
    {
        var org = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(_host.Client, org);
        var now = _stripe.Clock.GetUtcNow();
        var good = Event("e1", "call_minutes", "1.25", now.AddMinutes(-1));
        var body = second.StartsWith("BODY:", StringComparison.Ordinal) ? second[5..] : Batch(good, second);
        body = body.Replace("{GOOD}", good, StringComparison.Ordinal)
            .Replace("{NOW}", Stamp(now), StringComparison.Ordinal)
            .Replace("{AHEAD}", Stamp(now.AddMinutes(6)), StringComparison.Ordinal);

        using var response = await PostAsync(_host, token, body);
        var json = await InstanceCalls.ReadJsonAsync(response);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {json}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(field, json.GetProperty("field").GetString());
        Assert.Equal(code, json.GetProperty("code").GetString());
        var (events, totals) = await StoredAsync(_host, org);
        Assert.Equal(0, events);
        Assert.Empty(totals);
    }

    [Fact]
    public async Task RecordUsageEvents_RepeatedIdsInBatchAndAcrossBatches_AreDuplicatesCountedOnce()
    {
        var org = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(_host.Client, org);
        var at = _stripe.Clock.GetUtcNow().AddMinutes(-2);

        var first = await PostOkAsync(_host, token, Batch(
            Event("a", "call_minutes", "1.50", at),
            Event("b", "call_minutes", "2", at),
            Event("a", "call_minutes", "1.50", at)));
        Assert.Equal(
            """{"accepted":2,"duplicates":1,"events":[{"id":"a","status":"accepted"},{"id":"b","status":"accepted"},{"id":"a","status":"duplicate"}]}""",
            first.GetRawText());

        var second = await PostOkAsync(_host, token, Batch(Event("b", "call_minutes", "2", at), Event("c", "call_minutes", "0.25", at)));
        Assert.Equal(1, second.GetProperty("accepted").GetInt32());
        Assert.Equal(1, second.GetProperty("duplicates").GetInt32());
        Assert.Equal("duplicate", second.GetProperty("events")[0].GetProperty("status").GetString());
        Assert.Equal("accepted", second.GetProperty("events")[1].GetProperty("status").GetString());

        var (events, totals) = await StoredAsync(_host, org);
        Assert.Equal(3, events);
        Assert.Equal(3.75m, totals["call_minutes"]);
    }

    [Fact]
    public async Task RecordUsageEvents_SameIdFromAnotherOrganization_IsAcceptedForEach()
    {
        var org = Guid.NewGuid();
        var other = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(_host.Client, org);
        var otherToken = await InstanceCalls.RegisterAsync(_host.Client, other, "Other");
        var at = _stripe.Clock.GetUtcNow();

        var mine = await PostOkAsync(_host, token, Batch(Event("shared-id", "api_calls", "1", at)));
        var theirs = await PostOkAsync(_host, otherToken, Batch(Event("shared-id", "api_calls", "1", at)));

        Assert.Equal(1, mine.GetProperty("accepted").GetInt32());
        Assert.Equal(1, theirs.GetProperty("accepted").GetInt32());
    }

    [Fact]
    public async Task RecordUsageEvents_EachAggregation_KeepsItsPeriodTotal()
    {
        var org = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(_host.Client, org);
        var t0 = _stripe.Clock.GetUtcNow().AddMinutes(-30);

        await PostOkAsync(_host, token, Batch(
            Event("m1", "call_minutes", "10.25", t0),
            Event("m2", "call_minutes", "0.75", t0.AddMinutes(1)),
            Event("c1", "api_calls", "7", t0),
            Event("c2", "api_calls", "0", t0)));
        await PostOkAsync(_host, token, Batch(
            Event("m3", "call_minutes", "1", t0.AddMinutes(2)),
            Event("c3", "api_calls", "100", t0),
            Event("p1", "peak_storage_gb", "12.5", t0),
            Event("p2", "peak_storage_gb", "40.125", t0.AddMinutes(1)),
            Event("p3", "peak_storage_gb", "3", t0.AddMinutes(2))));
        // Last: the latest timestamp wins, whatever the arrival order.
        await PostOkAsync(_host, token, Batch(Event("s2", "seats", "9", t0.AddMinutes(5)), Event("s1", "seats", "4", t0.AddMinutes(1))));
        await PostOkAsync(_host, token, Batch(Event("s0", "seats", "99", t0)));

        var (events, totals) = await StoredAsync(_host, org);
        Assert.Equal(12, events);
        Assert.Equal(12m, totals["call_minutes"]);
        Assert.Equal(3m, totals["api_calls"]);
        Assert.Equal(40.125m, totals["peak_storage_gb"]);
        Assert.Equal(9m, totals["seats"]);
    }

    [Fact]
    public async Task RecordUsageEvents_SixteenConcurrentWriters_EndWithExactTotals()
    {
        var org = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(_host.Client, org);
        var at = _stripe.Clock.GetUtcNow().AddMinutes(-1);

        // 16 writers x 10 batches x 5 events of 0.01..0.05 minutes, plus every batch sent twice: exact decimal totals, no lost update.
        var writers = Enumerable.Range(0, 16).Select(async w =>
        {
            for (var b = 0; b < 10; b++)
            {
                var batch = Batch(Enumerable.Range(1, 5).Select(i => Event($"w{w}-b{b}-{i}", "call_minutes", $"0.0{i}", at)).ToArray());
                await PostOkAsync(_host, token, batch);
                await PostOkAsync(_host, token, batch);
            }
        });
        await Task.WhenAll(writers);

        var (events, totals) = await StoredAsync(_host, org);
        Assert.Equal(16 * 10 * 5, events);
        Assert.Equal(16 * 10 * 0.15m, totals["call_minutes"]);
        await using var db = _host.CreateDbContext();
        Assert.Equal(800, (await db.UsageTotals.SingleAsync(t => t.OrganizationId == org)).EventCount);
    }

    [Fact]
    public async Task RecordUsageEvents_SixteenWritersThroughAOneRequestGate_WaitTheirTurnAndEndWithExactTotals()
    {
        // The host takes one usage-events request at a time: the others wait, and nothing is lost or counted twice.
        await using var host = await MeteringHost.StartAsync(_stripe, configure: o =>
        {
            o.UsageEvents.MaxEventsPerBatch = 5;
            o.UsageEvents.MaxConcurrentRequests = 1;
        });
        var org = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, org);
        var at = _stripe.Clock.GetUtcNow().AddMinutes(-1);

        var writers = Enumerable.Range(0, 16).Select(async w =>
        {
            for (var b = 0; b < 3; b++)
            {
                var batch = Batch(Enumerable.Range(1, 5).Select(i => Event($"g{w}-b{b}-{i}", "call_minutes", $"0.0{i}", at)).ToArray());
                await Task.WhenAll(PostOkAsync(host, token, batch), PostOkAsync(host, token, batch));
            }
        });
        await Task.WhenAll(writers);

        var (events, totals) = await StoredAsync(host, org);
        Assert.Equal(16 * 3 * 5, events);
        Assert.Equal(16 * 3 * 0.15m, totals["call_minutes"]);
    }

    [Fact]
    public async Task UsageRecorder_SixteenWritersSendingTheSameIdsAtOnce_CountEachIdOnce()
    {
        var org = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(_host.Client, org);
        var recorder = _host.Services.GetRequiredService<IUsageRecorder>();
        var at = _stripe.Clock.GetUtcNow();

        // Every writer sends the same 40 ids (in its own order) for a sum, a max and a last metric.
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            var ids = Enumerable.Range(0, 40).OrderBy(i => (i * 7 + w) % 40).ToList();
            var events = ids.SelectMany(i => new[]
            {
                new UsageEvent($"sum-{i}", "call_minutes", 0.25m, at),
                new UsageEvent($"max-{i}", "peak_storage_gb", i * 1.5m, at),
                new UsageEvent($"last-{i}", "seats", i, at.AddSeconds(-i)),
            }).ToList();
            var accepted = 0;
            foreach (var chunk in events.Chunk(4))
            {
                accepted += (await recorder.RecordAsync(org, chunk)).Accepted;
            }

            return accepted;
        })));

        Assert.Equal(120, results.Sum());
        var (events, totals) = await StoredAsync(_host, org);
        Assert.Equal(120, events);
        Assert.Equal(10m, totals["call_minutes"]);
        Assert.Equal(58.5m, totals["peak_storage_gb"]);
        Assert.Equal(0m, totals["seats"]);
    }

    [Fact]
    public async Task RecordUsageEvents_AnotherOrganizationsId_Answers403AndStoresNothing()
    {
        var org = Guid.NewGuid();
        var other = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(_host.Client, org);
        await InstanceCalls.RegisterAsync(_host.Client, other, "Other");
        var body = $$"""{"organization_id":"{{other}}","events":[{{Event("x", "api_calls", "1", _stripe.Clock.GetUtcNow())}}]}""";

        using var response = await PostAsync(_host, token, body);
        var json = await InstanceCalls.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("forbidden_organization", json.GetProperty("code").GetString());
        Assert.Equal(0, (await StoredAsync(_host, org)).Events);
        Assert.Equal(0, (await StoredAsync(_host, other)).Events);
    }

    [Fact]
    public async Task RecordUsageEvents_WithoutToken_Answers401()
    {
        using var response = await InstanceCalls.SendAsync(_host.Client, HttpMethod.Post, "/api/usage-events", null, Batch(Event("x", "api_calls", "1", _stripe.Clock.GetUtcNow())));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task UsageRecorder_InProcessBatch_SameRulesAsTheRoute()
    {
        var org = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(_host.Client, org);
        var recorder = _host.Services.GetRequiredService<IUsageRecorder>();
        var at = _stripe.Clock.GetUtcNow();

        var bad = await Assert.ThrowsAsync<BillingException>(() => recorder.RecordAsync(org, [new UsageEvent("ok", "call_minutes", 1m, at), new UsageEvent("bad", "call_minutes", 0.001m, at)]));
        Assert.Equal("events[1].quantity", bad.Field);
        Assert.Equal(0, (await StoredAsync(_host, org)).Events);

        var props = JsonSerializer.SerializeToElement(new { region = "eu" });
        var one = await recorder.RecordAsync(org, new UsageEvent("job-1", "call_minutes", 2.5m, at, props));
        var again = await recorder.RecordAsync(org, new UsageEvent("job-1", "call_minutes", 2.5m, at, props));
        Assert.Equal(1, one.Accepted);
        Assert.True(again.Events.Single().Duplicate);
        await using var db = _host.CreateDbContext();
        var row = await db.UsageEvents.SingleAsync(e => e.OrganizationId == org);
        Assert.Equal("in-process", row.Source);
        Assert.Equal("""{"region":"eu"}""", row.Properties);

        var missing = await Assert.ThrowsAsync<BillingException>(() => recorder.RecordAsync(Guid.NewGuid(), new UsageEvent("x", "call_minutes", 1m, at)));
        Assert.Equal(404, missing.StatusCode);
    }
}
