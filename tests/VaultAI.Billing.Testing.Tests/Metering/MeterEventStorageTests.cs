using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using VaultAI.Billing.Testing.Tests.Support;

namespace VaultAI.Billing.Testing.Tests.Metering;

/// <summary>The emulator's meter event store: indexed by identifier and by customer, exact at volume, all or nothing per stream request.</summary>
public class MeterEventStorageTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);

    private static StripeEmulatorOptions Options() => new() { Clock = new FakeTimeProvider(Start) };

    [Fact]
    public async Task StreamedEvents_ManyCustomersWithRepeats_SummariesCountEachIdentifierOnce()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var meter = await Catalog.MeterAsync(http, "api_calls", "sum");
        var customers = new List<string>();
        for (var c = 0; c < 5; c++)
        {
            customers.Add(await Catalog.CustomerAsync(http));
        }

        var token = await SessionTokenAsync(http, stripe);
        var expected = new long[customers.Count];

        // 60 requests of 100 events: 5,000 distinct identifiers; every sixth request repeats the one before it whole.
        var sent = new List<string>();
        for (var request = 0; request < 60; request++)
        {
            var repeat = request % 6 == 5;
            var previousStart = sent.Count - 100;
            var events = new JsonArray();
            for (var i = 0; i < 100; i++)
            {
                var n = repeat ? previousStart + i : sent.Count;
                var customer = n % customers.Count;
                var identifier = $"evt-{n}";
                if (!repeat)
                {
                    sent.Add(identifier);
                    expected[customer] += (n % 7) + 1;
                }

                events.Add(StreamEvent(customers[customer], ((n % 7) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), identifier, "2026-04-30T12:00:00Z"));
            }

            var response = await PostJsonAsync(http.Client, "v2/billing/meter_event_stream", new JsonObject { ["events"] = events }.ToJsonString(), token);
            Assert.Equal(HttpStatusCode.OK, response.Status);
        }

        Assert.Equal(sent.Count, stripe.State.MeterEvents.Count);
        Assert.Equal(sent, stripe.State.MeterEvents.Select(e => e.Identifier));
        for (var c = 0; c < customers.Count; c++)
        {
            Assert.Equal(expected[c], await SummaryAsync(http, meter, customers[c], Start.AddDays(-1), Start));
        }
    }

    [Fact]
    public async Task Stream_BadEventAfterGoodOnes_NothingIsKept_AndTheSameIdentifiersAreAcceptedLater()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var meter = await Catalog.MeterAsync(http, "api_calls", "sum");
        var customer = await Catalog.CustomerAsync(http);
        var token = await SessionTokenAsync(http, stripe);

        var rejected = await PostJsonAsync(http.Client, "v2/billing/meter_event_stream", new JsonObject
        {
            ["events"] = new JsonArray(
                StreamEvent(customer, "2", "a", "2026-04-30T12:00:00Z"),
                StreamEvent(customer, "3", "b", "2026-04-30T12:00:00Z"),
                StreamEvent(customer, "not-a-number", "c", "2026-04-30T12:00:00Z")),
        }.ToJsonString(), token);

        Assert.Equal(HttpStatusCode.BadRequest, rejected.Status);
        Assert.Equal("events[2].payload[value]", rejected.Json!["error"]!["param"]!.GetValue<string>());
        Assert.Empty(stripe.State.MeterEvents);

        // The same identifiers, now valid, with one repeated inside the request: kept once each.
        var accepted = await PostJsonAsync(http.Client, "v2/billing/meter_event_stream", new JsonObject
        {
            ["events"] = new JsonArray(
                StreamEvent(customer, "2", "a", "2026-04-30T12:00:00Z"),
                StreamEvent(customer, "3", "b", "2026-04-30T12:00:00Z"),
                StreamEvent(customer, "4", "c", "2026-04-30T12:00:00Z"),
                StreamEvent(customer, "4", "c", "2026-04-30T12:00:00Z")),
        }.ToJsonString(), token);

        Assert.Equal(HttpStatusCode.OK, accepted.Status);
        Assert.Equal(["a", "b", "c"], stripe.State.MeterEvents.Select(e => e.Identifier));
        Assert.Equal(9, await SummaryAsync(http, meter, customer, Start.AddDays(-1), Start));
    }

    [Fact]
    public async Task V1AndStream_SameIdentifier_CountedOnceAcrossBothApis()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var meter = await Catalog.MeterAsync(http, "api_calls", "sum");
        var customer = await Catalog.CustomerAsync(http);
        var token = await SessionTokenAsync(http, stripe);

        await http.CreateAsyncOk("/v1/billing/meter_events", $"event_name=api_calls&payload[stripe_customer_id]={customer}&payload[value]=5&identifier=shared&timestamp={Start.AddHours(-1).ToUnixTimeSeconds()}");
        var streamed = await PostJsonAsync(http.Client, "v2/billing/meter_event_stream", new JsonObject
        {
            ["events"] = new JsonArray(StreamEvent(customer, "5", "shared", "2026-04-30T23:00:00Z"), StreamEvent(customer, "1", "other", "2026-04-30T23:00:00Z")),
        }.ToJsonString(), token);

        Assert.Equal(HttpStatusCode.OK, streamed.Status);
        Assert.Equal(6, await SummaryAsync(http, meter, customer, Start.AddDays(-1), Start));
    }

    [Fact]
    public async Task MeterEventsPerSecond_BurstAboveTheLimit_ExcessAnswered429RateLimit_AndNotStored()
    {
        var options = Options();
        options.MeterEventsPerSecond = 5;
        await using var stripe = await StripeEmulator.StartAsync(options);
        using var http = new StripeHttp(stripe);
        await Catalog.MeterAsync(http, "api_calls", "sum");
        var customer = await Catalog.CustomerAsync(http);

        // 40 calls at once against a bucket of 5: most must be refused, whatever the machine's speed.
        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => http.PostAsync(
            "/v1/billing/meter_events",
            $"event_name=api_calls&payload[stripe_customer_id]={customer}&payload[value]=1&identifier=burst-{i}&timestamp={Start.ToUnixTimeSeconds()}")));

        var limited = responses.Where(r => r.Status == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.All(limited, r => Assert.Equal("rate_limit", r.Error["code"]!.GetValue<string>()));
        Assert.Equal(responses.Count(r => r.Status == HttpStatusCode.OK), stripe.State.MeterEvents.Count);
        Assert.Equal(40, responses.Count(r => r.Status is HttpStatusCode.OK or HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task Options_MeterEventsPerSecondZero_IsRejectedAtStart()
    {
        var options = Options();
        options.MeterEventsPerSecond = 0;
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => StripeEmulator.StartAsync(options));
        Assert.Contains("MeterEventsPerSecond", error.Message, StringComparison.Ordinal);
    }

    private static JsonObject StreamEvent(string customer, string value, string identifier, string timestamp) => new()
    {
        ["event_name"] = "api_calls",
        ["payload"] = new JsonObject { ["stripe_customer_id"] = customer, ["value"] = value },
        ["identifier"] = identifier,
        ["timestamp"] = timestamp,
    };

    private static async Task<string> SessionTokenAsync(StripeHttp http, StripeEmulator stripe)
    {
        var session = await PostJsonAsync(http.Client, "v2/billing/meter_event_session", "{}", stripe.ApiKey);
        Assert.Equal(HttpStatusCode.OK, session.Status);
        return session.Json!["authentication_token"]!.GetValue<string>();
    }

    private static async Task<long> SummaryAsync(StripeHttp http, string meter, string customer, DateTimeOffset from, DateTimeOffset to)
    {
        var response = await http.GetAsync($"/v1/billing/meters/{meter}/event_summaries?customer={customer}&start_time={from.ToUnixTimeSeconds()}&end_time={to.ToUnixTimeSeconds()}");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        return Assert.Single(response.Json["data"]!.AsArray())!["aggregated_value"]!.GetValue<long>();
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Json, string Raw)> PostJsonAsync(HttpClient client, string path, string json, string bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await client.SendAsync(request);
        var raw = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, raw.Length > 0 ? JsonNode.Parse(raw) : null, raw);
    }
}
