using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Metering;

/// <summary>A billing host with a metric of each aggregation, and helpers to post usage events and read what was stored.</summary>
internal static class MeteringHost
{
    public static Task<BillingTestHost> StartAsync(StripeEmulator stripe, string priceId = "price_unused", Action<VaultAIBillingOptions>? configure = null, string? database = null) =>
        BillingTestHost.StartAsync(stripe, priceId, database: database is null ? null : o => o.UseSqlite($"Data Source={database}"), configure: options =>
        {
            options.Metrics["call_minutes"] = new MetricDefinition { DisplayName = "Call minutes", Unit = "minutes", Aggregation = MetricAggregation.Sum, Decimals = 2 };
            options.Metrics["api_calls"] = new MetricDefinition { DisplayName = "API calls", Unit = "calls", Aggregation = MetricAggregation.Count };
            options.Metrics["peak_storage_gb"] = new MetricDefinition { DisplayName = "Peak storage", Unit = "GB", Aggregation = MetricAggregation.Max, Decimals = 3 };
            options.Metrics["seats"] = new MetricDefinition { DisplayName = "Seats", Unit = "seats", Aggregation = MetricAggregation.Last };
            configure?.Invoke(options);
        });

    public static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    public static string Event(string id, string metric, string quantity, DateTimeOffset at, string? properties = null) =>
        $$"""{"id":"{{id}}","metric":"{{metric}}","quantity":{{quantity}},"timestamp":"{{Stamp(at)}}"{{(properties is null ? "" : ",\"properties\":" + properties)}}}""";

    public static string Batch(params string[] events) => $$"""{"events":[{{string.Join(",", events)}}]}""";

    public static Task<HttpResponseMessage> PostAsync(BillingTestHost host, string token, string body) =>
        InstanceCalls.SendAsync(host.Client, HttpMethod.Post, "/api/usage-events", token, body);

    public static async Task<JsonElement> PostOkAsync(BillingTestHost host, string token, string body)
    {
        using var response = await PostAsync(host, token, body);
        var json = await InstanceCalls.ReadJsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json;
    }

    public static async Task<(int Events, Dictionary<string, decimal> Totals)> StoredAsync(BillingTestHost host, Guid organizationId)
    {
        await using var db = host.CreateDbContext();
        var events = await db.UsageEvents.CountAsync(e => e.OrganizationId == organizationId);
        var totals = await db.UsageTotals.Where(t => t.OrganizationId == organizationId).ToDictionaryAsync(t => t.Metric, t => t.Total);
        return (events, totals);
    }
}
