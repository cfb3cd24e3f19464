using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Endpoints.Internal;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Metering.Internal;

namespace VaultAI.Billing.Tests.Metering;

public sealed class UsageEventValidationTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private static VaultAIBillingOptions Options()
    {
        var options = new VaultAIBillingOptions();
        options.Metrics["storage_gb"] = new MetricDefinition { Unit = "GB", Aggregation = MetricAggregation.Max, Decimals = 3 };
        options.UsageEvents.MaxEventsPerBatch = 3;
        return options;
    }

    private static BillingException Reject(params UsageEvent[] events) =>
        Assert.Throws<BillingException>(() => UsageEventValidator.ValidateBatch(events, Options(), Now));

    [Theory]
    [InlineData("1.5", true)]
    [InlineData("1.500", true)]
    [InlineData("1.2345", false)]
    [InlineData("0", true)]
    [InlineData("1000000000000", true)]
    [InlineData("1000000000000.001", false)]
    public void ValidateEvent_Decimals_AreCountedByValue(string quantity, bool valid)
    {
        var e = new UsageEvent("e", "storage_gb", decimal.Parse(quantity, System.Globalization.CultureInfo.InvariantCulture), Now);
        if (valid)
        {
            UsageEventValidator.ValidateBatch([e], Options(), Now);
        }
        else
        {
            Assert.Equal("events[0].quantity", Reject(e).Field);
        }
    }

    [Fact]
    public void ValidateBatch_BadSecondEvent_NamesItsField()
    {
        var good = new UsageEvent("a", "storage_gb", 1m, Now);
        Assert.Equal(("events[1].metric", "unknown_metric"), Fields(Reject(good, good with { Metric = "gpu" })));
        Assert.Equal(("events[1].quantity", "negative_quantity"), Fields(Reject(good, good with { Quantity = -0.001m })));
        Assert.Equal(("events[1].id", "missing_field"), Fields(Reject(good, good with { Id = " " })));
        Assert.Equal(("events[1].id", "too_long"), Fields(Reject(good, good with { Id = new string('x', 256) })));
        Assert.Equal(("events[1].timestamp", "timestamp_in_future"), Fields(Reject(good, good with { Timestamp = Now.AddMinutes(5).AddSeconds(1) })));
        Assert.Equal(("events", "too_many_events"), Fields(Reject(good, good, good, good)));
        Assert.Equal(("events", "empty_batch"), Fields(Reject()));
    }

    [Fact]
    public void ValidateBatch_InProcessIdWithHalfASurrogatePair_IsRefusedNotStored()
    {
        var good = new UsageEvent("a\ud83d\ude00", "storage_gb", 1m, Now); // a whole pair (an emoji) is fine
        UsageEventValidator.ValidateBatch([good], Options(), Now);
        Assert.Equal(("events[0].id", "invalid_string"), Fields(Reject(good with { Id = "a\ud800" })));
    }

    [Fact]
    public void ValidateBatch_LimitsThemselves_AreAccepted()
    {
        var properties = JsonSerializer.SerializeToElement(new { n = new string('x', 2048 - 8) });
        Assert.Equal(2048, System.Text.Encoding.UTF8.GetByteCount(properties.GetRawText()));
        UsageEventValidator.ValidateBatch(
            [new UsageEvent(new string('x', 255), "storage_gb", 0m, Now.AddMinutes(5), properties), new UsageEvent("b", "active_users", 3m, Now.AddYears(-1))],
            Options(),
            Now);

        var tooBig = JsonSerializer.SerializeToElement(new { n = new string('x', 2048 - 7) });
        Assert.Equal(("events[0].properties", "properties_too_large"), Fields(Reject(new UsageEvent("a", "storage_gb", 1m, Now, tooBig))));
    }

    [Fact]
    public void ReadBody_Quantities_AreDecimalsFromTheTextNotDoubles()
    {
        using var document = JsonDocument.Parse("""
            {"events":[
              {"id":"a","metric":"storage_gb","quantity":0.1,"timestamp":"2026-11-29T11:00:00Z"},
              {"id":"b","metric":"storage_gb","quantity":0.2,"timestamp":"2026-11-29T11:00:00+01:00"},
              {"id":"c","metric":"storage_gb","quantity":123456789012.345,"timestamp":"2026-11-29T11:00:00Z","properties":{"region":"eu"}}
            ]}
            """);

        var events = UsageEventsBody.Read(document.RootElement, Options(), Now, "usage-events");

        Assert.Equal(0.3m, events[0].Quantity + events[1].Quantity);
        Assert.Equal(123456789012.345m, events[2].Quantity);
        Assert.Equal(new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero), events[1].OccurredAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 29, 11, 0, 0, TimeSpan.Zero), events[0].OccurredAt);
        Assert.Equal("""{"region":"eu"}""", events[2].Properties);
        Assert.Null(events[0].Properties);
    }

    [Theory]
    [InlineData("2026-11-29T11:00:00Z")]
    [InlineData("2026-11-29T11:00:00.1234567Z")]
    [InlineData("2026-11-29T11:00Z")]
    [InlineData("2026-11-29 11:00:00Z")]
    [InlineData(@"2026-11-29T11:00:00\u005A")]
    [InlineData("2026-11-29T12:30:00+01:30")]
    [InlineData("2026-11-29T09:00:00-02:00")]
    public void ReadBody_TimestampSpellings_GiveTheSameInstantAsTheGeneralParser(string timestamp)
    {
        using var document = JsonDocument.Parse($$"""{"events":[{"id":"a","metric":"storage_gb","quantity":1,"timestamp":"{{timestamp}}"}]}""");
        var text = document.RootElement.GetProperty("events")[0].GetProperty("timestamp").GetString()!;

        var events = UsageEventsBody.Read(document.RootElement, Options(), Now, "usage-events");

        var expected = DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime();
        Assert.Equal(expected, events[0].OccurredAt);
        Assert.Equal(TimeSpan.Zero, events[0].OccurredAt.Offset);
    }

    [Fact]
    public void ReadBody_RepeatedIdsAndOneMetricKey_KeepsOrderAndSharesTheCatalogKey()
    {
        using var document = JsonDocument.Parse("""
            {"events":[
              {"id":"a","metric":"storage_gb","quantity":1,"timestamp":"2026-11-29T11:00:00Z"},
              {"id":"a","metric":"storage_gb","quantity":2,"timestamp":"2026-11-29T11:00:00Z"},
              {"id":"b","metric":"storage_gb","quantity":3,"timestamp":"2026-11-29T11:00:00Z"}
            ]}
            """);
        var options = Options();
        var key = options.Metrics.Keys.Single(k => k == "storage_gb");

        var events = UsageEventsBody.Read(document.RootElement, options, Now, "usage-events");

        Assert.Equal(["a", "a", "b"], events.Select(e => e.EventId));
        Assert.Equal([1m, 2m, 3m], events.Select(e => e.Quantity));
        Assert.All(events, e => Assert.Same(key, e.Metric));
        Assert.All(events, e => Assert.Equal(("usage-events", Now), (e.Source, e.ReceivedAt)));
        Assert.Equal(3, events.Select(e => e.Id).Distinct().Count());
    }

    [Theory]
    [InlineData("""{"events":[{"id":"a","metric":"storage_gb","quantity":1,"timestamp":"2026-11-29T11:00:00"}]}""", "events[0].timestamp", "invalid_timestamp")]
    [InlineData("""{"events":[{"id":"a","metric":"storage_gb","quantity":1,"timestamp":"Z"}]}""", "events[0].timestamp", "invalid_timestamp")]
    [InlineData("""{"events":[{"id":"a","metric":"storage_gb","quantity":1,"timestamp":"2026-11-29T11:00:00Z"},{"id":"b","metric":"Storage_GB","quantity":1,"timestamp":"2026-11-29T11:00:00Z"}]}""", "events[1].metric", "unknown_metric")]
    [InlineData("""{"events":[{"id":"a","metric":"storage_gb","quantity":1,"timestamp":"2026-11-29T11:00:00Z"},{"id":"b","metric":"","quantity":1,"timestamp":"2026-11-29T11:00:00Z"}]}""", "events[1].metric", "missing_field")]
    [InlineData("""{"events":[{"id":"a","metric":"storage_gb","quantity":1,"timestamp":"2026-11-29T11:00:00Z"},{"id":"b","metric":"storage_gb","quantity":-1,"timestamp":"2026-11-29T11:00:00Z"}]}""", "events[1].quantity", "negative_quantity")]
    [InlineData("""{"events":[{"id":"a","metric":"storage_gb","quantity":1,"timestamp":"2026-11-29T11:00:00Z"},{"id":" ","metric":"storage_gb","quantity":1,"timestamp":"2026-11-29T11:00:00Z"}]}""", "events[1].id", "missing_field")]
    [InlineData("""{"events":[{"id":"a","metric":"storage_gb","quantity":1,"timestamp":"2026-11-29T12:06:00Z"}]}""", "events[0].timestamp", "timestamp_in_future")]
    public void ReadBody_BadValue_NamesTheEventAndField(string body, string field, string code)
    {
        using var document = JsonDocument.Parse(body);
        var error = Assert.Throws<BillingException>(() => UsageEventsBody.Read(document.RootElement, Options(), Now, "usage-events"));
        Assert.Equal((field, code), Fields(error));
        Assert.Equal(400, error.StatusCode);
    }

    [Theory]
    [InlineData("""{"events":[{"id":"a","metric":"storage_gb","quantity":"1","timestamp":"2026-11-29T11:00:00Z"}]}""", "events[0].quantity", "wrong_type")]
    [InlineData("""{"events":[{"id":7,"metric":"storage_gb","quantity":1,"timestamp":"2026-11-29T11:00:00Z"}]}""", "events[0].id", "wrong_type")]
    [InlineData("""{"events":[{"id":"a","metric":"storage_gb","quantity":1}]}""", "events[0].timestamp", "missing_field")]
    [InlineData("""{"events":[{"id":"a","metric":"storage_gb","quantity":1,"timestamp":1795000000}]}""", "events[0].timestamp", "wrong_type")]
    [InlineData("""{"events":[null]}""", "events[0]", "wrong_type")]
    [InlineData("""{"events":"a"}""", "events", "wrong_type")]
    [InlineData("""{}""", "events", "missing_field")]
    [InlineData("""{"events":[{"id":"\ud800","metric":"storage_gb","quantity":1,"timestamp":"2026-11-29T11:00:00Z"}]}""", "events[0].id", "invalid_string")]
    [InlineData("""{"events":[{"id":"a","metric":"storage_gb","quantity":1,"timestamp":"\udfff"}]}""", "events[0].timestamp", "invalid_string")]
    [InlineData("""{"events":[{"id":"a","metric":"storage_gb","quantity":1,"timestamp":"2026-11-29T11:00:00Z","properties":{"k":"\ud800"}}]}""", "events[0].properties", "invalid_string")]
    [InlineData("""{"events":[{"id":"a","metric":"storage_gb","quantity":1,"timestamp":"2026-11-29T11:00:00Z","properties":{"k\u0000":1}}]}""", "events[0].properties", "invalid_string")]
    public void ReadBody_WrongShape_NamesTheField(string body, string field, string code)
    {
        using var document = JsonDocument.Parse(body);
        var error = Assert.Throws<BillingException>(() => UsageEventsBody.Read(document.RootElement, Options(), Now, "usage-events"));
        Assert.Equal((field, code), Fields(error));
        Assert.Equal(400, error.StatusCode);
    }

    [Theory]
    [InlineData("Decimals", "7", "VaultAI:Billing:Metrics:storage_gb:Decimals")]
    [InlineData("Decimals", "-1", "VaultAI:Billing:Metrics:storage_gb:Decimals")]
    [InlineData("MeterEventName", "has space", "VaultAI:Billing:Metrics:storage_gb:MeterEventName")]
    public void Validate_BadMetric_MessageNamesTheKey(string setting, string value, string expectedKey)
    {
        var error = StartError(new Dictionary<string, string?> { [$"VaultAI:Billing:Metrics:storage_gb:{setting}"] = value });
        Assert.Contains(expectedKey, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ReportMetricOutsideTheCatalog_MessageNamesTheKey()
    {
        var error = StartError(new Dictionary<string, string?> { ["VaultAI:Billing:ReportMetric"] = "seats" });
        Assert.Contains("VaultAI:Billing:ReportMetric", error, StringComparison.Ordinal);
        Assert.Contains("VaultAI:Billing:Metrics:seats", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_MetricFromConfigurationKeys_JoinsTheDefaultCatalog()
    {
        var options = Bind(new Dictionary<string, string?>
        {
            ["VaultAI:Billing:Metrics:storage_gb:Aggregation"] = "Max",
            ["VaultAI:Billing:Metrics:storage_gb:Decimals"] = "3",
            ["VaultAI:Billing:Metrics:storage_gb:Unit"] = "GB",
        });

        Assert.Equal(MetricAggregation.Max, options.Metrics["storage_gb"].Aggregation);
        Assert.Equal(3, options.Metrics["storage_gb"].Decimals);
        Assert.Equal("GB", options.Metrics["storage_gb"].Unit);
        Assert.Equal(MetricAggregation.Last, options.Metrics["active_users"].Aggregation);
        Assert.Equal(0, options.Metrics["active_users"].Decimals);
        Assert.Equal("active_users", options.ReportMetric);
    }

    private static (string? Field, string Code) Fields(BillingException e) => (e.Field, e.Code);

    private static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        settings["VaultAI:Billing:Plans:basic:MonthlyPriceId"] = "price_1";
        settings["VaultAI:Billing:Stripe:ApiKey"] = "sk_test_" + new string('x', 24);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddVaultAIBilling(configuration.GetSection(VaultAIBillingOptions.SectionName));
        return services.BuildServiceProvider();
    }

    private static VaultAIBillingOptions Bind(Dictionary<string, string?> settings)
    {
        using var provider = Provider(settings);
        return provider.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value;
    }

    private static string StartError(Dictionary<string, string?> settings)
    {
        using var provider = Provider(settings);
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value).Message;
    }
}
