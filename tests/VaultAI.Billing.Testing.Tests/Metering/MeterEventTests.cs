using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using VaultAI.Billing.Testing.Tests.Support;

namespace VaultAI.Billing.Testing.Tests.Metering;

public class MeterEventTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);

    private static StripeEmulatorOptions Options() => new() { Clock = new FakeTimeProvider(Start) };

    private static string Event(string eventName, string customer, string value, string identifier, DateTimeOffset at) =>
        $"event_name={eventName}&payload[stripe_customer_id]={customer}&payload[value]={value}&identifier={Uri.EscapeDataString(identifier)}&timestamp={at.ToUnixTimeSeconds()}";

    private static async Task<long> SummaryAsync(StripeHttp http, string meter, string customer, DateTimeOffset from, DateTimeOffset to)
    {
        var response = await http.GetAsync($"/v1/billing/meters/{meter}/event_summaries?customer={customer}&start_time={from.ToUnixTimeSeconds()}&end_time={to.ToUnixTimeSeconds()}");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        var summary = Assert.Single(response.Json["data"]!.AsArray())!;
        Assert.Equal("billing.meter_event_summary", summary["object"]!.GetValue<string>());
        return summary["aggregated_value"]!.GetValue<long>();
    }

    [Fact]
    public async Task CreateMeter_SdkBody_ReturnsBillingMeter()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);

        var response = await http.PostAsync(
            "/v1/billing/meters",
            "display_name=API%20calls&event_name=api_calls&default_aggregation[formula]=sum&customer_mapping[type]=by_id&customer_mapping[event_payload_key]=stripe_customer_id&value_settings[event_payload_key]=value");
        var invalid = await http.PostAsync("/v1/billing/meters", "display_name=X&event_name=other&default_aggregation[formula]=max");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.StartsWith("mtr_", response.Str("id"));
        Assert.Equal("billing.meter", response.Str("object"));
        Assert.Equal("sum", response.Json["default_aggregation"]!["formula"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, invalid.Status);
        Assert.Equal("default_aggregation[formula]", invalid.Error["param"]!.GetValue<string>());
        var list = await http.GetAsync("/v1/billing/meters");
        Assert.Single(list.Json["data"]!.AsArray());
    }

    [Theory]
    [InlineData("sum", 45 + 10 + 5)]
    [InlineData("count", 3)]
    [InlineData("last", 10)]
    public async Task Aggregation_ByFormula_IsReportedInSummaries(string formula, long expected)
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var meter = await Catalog.MeterAsync(http, "api_calls", formula);
        var customer = await Catalog.CustomerAsync(http);

        // Sent out of time order: "last" must pick the latest timestamp, not the latest arrival.
        await http.CreateAsyncOk("/v1/billing/meter_events", Event("api_calls", customer, "45", "e1", Start.AddHours(-3)));
        await http.CreateAsyncOk("/v1/billing/meter_events", Event("api_calls", customer, "10", "e2", Start.AddHours(-1)));
        await http.CreateAsyncOk("/v1/billing/meter_events", Event("api_calls", customer, "5", "e3", Start.AddHours(-2)));

        Assert.Equal(expected, await SummaryAsync(http, meter, customer, Start.AddDays(-1), Start.AddMinutes(1)));
    }

    [Fact]
    public async Task Summary_RespectsTheHalfOpenWindowAndTheCustomer()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var meter = await Catalog.MeterAsync(http, "api_calls", "sum");
        var customer = await Catalog.CustomerAsync(http);
        var other = await Catalog.CustomerAsync(http, "other%40example.com");
        await http.CreateAsyncOk("/v1/billing/meter_events", Event("api_calls", customer, "7", "in", Start.AddHours(-2)));
        await http.CreateAsyncOk("/v1/billing/meter_events", Event("api_calls", customer, "100", "at-end", Start.AddHours(-1)));
        await http.CreateAsyncOk("/v1/billing/meter_events", Event("api_calls", other, "1000", "other", Start.AddHours(-2)));

        Assert.Equal(7, await SummaryAsync(http, meter, customer, Start.AddHours(-2), Start.AddHours(-1)));
    }

    [Fact]
    public async Task DuplicateIdentifier_IsAcceptedButCountedOnce()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var meter = await Catalog.MeterAsync(http, "api_calls", "sum");
        var customer = await Catalog.CustomerAsync(http);

        var first = await http.PostAsync("/v1/billing/meter_events", Event("api_calls", customer, "45", "org-x-2026-01-01T00:00Z", Start.AddMinutes(-5)));
        var second = await http.PostAsync("/v1/billing/meter_events", Event("api_calls", customer, "45", "org-x-2026-01-01T00:00Z", Start.AddMinutes(-5)));

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal("billing.meter_event", second.Str("object"));
        Assert.Equal("org-x-2026-01-01T00:00Z", second.Str("identifier"));
        Assert.Single(stripe.State.MeterEvents);
        Assert.Equal(45, await SummaryAsync(http, meter, customer, Start.AddDays(-1), Start.AddMinutes(1)));
    }

    [Theory]
    [InlineData(-35 * 24 * 60 - 1)]
    [InlineData(6)]
    public async Task Timestamp_OutsideTheWindow_Returns400NamingTimestamp(int minutesFromNow)
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        await Catalog.MeterAsync(http, "api_calls", "sum");
        var customer = await Catalog.CustomerAsync(http);

        var response = await http.PostAsync("/v1/billing/meter_events", Event("api_calls", customer, "1", "late", Start.AddMinutes(minutesFromNow)));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("timestamp", response.Error["param"]!.GetValue<string>());
        Assert.Empty(stripe.State.MeterEvents);
    }

    [Theory]
    [InlineData(-35 * 24 * 60 + 1)]
    [InlineData(5)]
    public async Task Timestamp_InsideTheWindow_IsAccepted(int minutesFromNow)
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        await Catalog.MeterAsync(http, "api_calls", "sum");
        var customer = await Catalog.CustomerAsync(http);

        var response = await http.PostAsync("/v1/billing/meter_events", Event("api_calls", customer, "1", "edge", Start.AddMinutes(minutesFromNow)));

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Single(stripe.State.MeterEvents);
    }

    [Theory]
    [InlineData("4.5")]
    [InlineData("ten")]
    public async Task Value_NotAWholeNumber_Returns400(string value)
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        await Catalog.MeterAsync(http, "api_calls", "sum");
        var customer = await Catalog.CustomerAsync(http);

        var response = await http.PostAsync("/v1/billing/meter_events", Event("api_calls", customer, value, "bad", Start));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("payload[value]", response.Error["param"]!.GetValue<string>());
    }

    [Fact]
    public async Task UnknownCustomer_IsAcceptedButNotAggregated()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var meter = await Catalog.MeterAsync(http, "api_calls", "sum");

        var response = await http.PostAsync("/v1/billing/meter_events", Event("api_calls", "cus_unknown", "5", "u1", Start));
        var customer = await Catalog.CustomerAsync(http);

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal(0, await SummaryAsync(http, meter, customer, Start.AddDays(-1), Start.AddMinutes(1)));
    }

    [Fact]
    public async Task MeterEventStream_WithSessionToken_AcceptsJsonEvents()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var meter = await Catalog.MeterAsync(http, "api_calls", "sum");
        var customer = await Catalog.CustomerAsync(http);

        var session = await PostJsonAsync(http.Client, "v2/billing/meter_event_session", "{}", stripe.ApiKey);
        Assert.Equal(HttpStatusCode.OK, session.Status);
        Assert.Equal("v2.billing.meter_event_session", session.Json!["object"]!.GetValue<string>());
        var token = session.Json["authentication_token"]!.GetValue<string>();
        var expiresAt = DateTimeOffset.Parse(session.Json["expires_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Start.AddMinutes(15), expiresAt);

        var body = new JsonObject
        {
            ["events"] = new JsonArray(
                new JsonObject { ["event_name"] = "api_calls", ["payload"] = new JsonObject { ["stripe_customer_id"] = customer, ["value"] = "3" }, ["identifier"] = "s1", ["timestamp"] = "2026-04-30T23:00:00.000Z" },
                new JsonObject { ["event_name"] = "api_calls", ["payload"] = new JsonObject { ["stripe_customer_id"] = customer, ["value"] = "4" }, ["identifier"] = "s2", ["timestamp"] = "2026-04-30T23:30:00Z" }),
        }.ToJsonString();
        var streamed = await PostJsonAsync(http.Client, "v2/billing/meter_event_stream", body, token);
        var withApiKey = await PostJsonAsync(http.Client, "v2/billing/meter_event_stream", body, stripe.ApiKey);

        Assert.True(streamed.Status is HttpStatusCode.OK or HttpStatusCode.Accepted, streamed.Raw);
        Assert.Equal(HttpStatusCode.Unauthorized, withApiKey.Status);
        Assert.Equal(7, await SummaryAsync(http, meter, customer, Start.AddDays(-1), Start));
    }

    [Fact]
    public async Task MeterEventStream_ExpiredToken_Returns401TemporarySessionExpired()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        await Catalog.MeterAsync(http, "api_calls", "sum");
        var customer = await Catalog.CustomerAsync(http);
        var session = await PostJsonAsync(http.Client, "v2/billing/meter_event_session", "{}", stripe.ApiKey);
        var token = session.Json!["authentication_token"]!.GetValue<string>();

        await stripe.AdvanceTimeAsync(TimeSpan.FromMinutes(15));
        var body = $$$"""{"events":[{"event_name":"api_calls","payload":{"stripe_customer_id":"{{{customer}}}","value":"1"}}]}""";
        var response = await PostJsonAsync(http.Client, "v2/billing/meter_event_stream", body, token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.Status);
        Assert.Equal("temporary_session_expired", response.Json!["error"]!["type"]!.GetValue<string>());
        Assert.Empty(stripe.State.MeterEvents);
    }

    [Fact]
    public async Task MeterEventStream_MoreThan100Events_Returns400()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        await Catalog.MeterAsync(http, "api_calls", "sum");
        var customer = await Catalog.CustomerAsync(http);
        var session = await PostJsonAsync(http.Client, "v2/billing/meter_event_session", "{}", stripe.ApiKey);
        var token = session.Json!["authentication_token"]!.GetValue<string>();
        var events = new JsonArray();
        for (var i = 0; i < 101; i++)
        {
            events.Add(new JsonObject { ["event_name"] = "api_calls", ["payload"] = new JsonObject { ["stripe_customer_id"] = customer, ["value"] = "1" } });
        }

        var response = await PostJsonAsync(http.Client, "v2/billing/meter_event_stream", new JsonObject { ["events"] = events }.ToJsonString(), token);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Empty(stripe.State.MeterEvents);
    }

    [Fact]
    public async Task MeteredUsage_LandsOnTheRenewalInvoice()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var meter = await Catalog.MeterAsync(http, "api_calls", "sum");
        var price = await Catalog.MeteredPriceAsync(http, meter, "0.5");
        var customer = await Catalog.CustomerAsync(http);
        var subId = await http.CreateAsync("/v1/subscriptions", $"customer={customer}&items[0][price]={price}");
        await stripe.AdvanceTimeAsync(TimeSpan.FromDays(10));
        await http.CreateAsyncOk("/v1/billing/meter_events", Event("api_calls", customer, "45", "u1", stripe.Clock.GetUtcNow()));
        await http.CreateAsyncOk("/v1/billing/meter_events", Event("api_calls", customer, "100", "u2", stripe.Clock.GetUtcNow().AddMinutes(-1)));
        await http.CreateAsyncOk("/v1/billing/meter_events", Event("api_calls", customer, "100", "u2", stripe.Clock.GetUtcNow().AddMinutes(-1)));

        await stripe.AdvanceTimeAsync(TimeSpan.FromDays(25));

        var invoices = await http.GetAsync($"/v1/invoices?subscription={subId}&limit=1");
        var renewal = invoices.Json["data"]![0]!;
        Assert.Equal("subscription_cycle", renewal["billing_reason"]!.GetValue<string>());
        Assert.Equal(73, renewal["amount_due"]!.GetValue<long>()); // 145 × 0.5 = 72.5 → 73 (half away from zero)
        var line = renewal["lines"]!["data"]![0]!;
        Assert.Equal(145, line["quantity"]!.GetValue<long>());
        Assert.Equal(Start.ToUnixTimeSeconds(), line["period"]!["start"]!.GetValue<long>());
        Assert.Equal(Start.AddMonths(1).ToUnixTimeSeconds(), line["period"]!["end"]!.GetValue<long>());
        Assert.Equal("paid", renewal["status"]!.GetValue<string>());
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
