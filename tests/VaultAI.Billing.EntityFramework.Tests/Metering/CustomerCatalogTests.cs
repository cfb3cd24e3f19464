using System.Globalization;
using System.Text.Json;
using VaultAI.Billing.Metering;
using static VaultAI.Billing.EntityFramework.Tests.Metering.MeteringHost;

namespace VaultAI.Billing.EntityFramework.Tests.Metering;

/// <summary>
/// The seeds' customers with a catalog of their own, end to end: usage posted to <c>/api/usage-events</c>, read back from the
/// usage route, rolled up to Stripe meters, and Stripe's meter summary for the period equal to the ledger's total.
/// Helvetia Cloud (seed 003) bills compute hours, memory GB-hours, bandwidth GB and storage GB; VantFlow (seed 004) counts
/// AI tokens against a monthly quota of 100,000 on its Pro plan.
/// </summary>
public sealed class CustomerCatalogTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    [Fact]
    public async Task HelvetiaCloud_FourResourceMetricsFromAContainerSampler_StripeBillsWhatTheLedgerCounted()
    {
        await using var catalog = await MeteredCatalog.StartAsync(
            ("compute_hours", new MetricDefinition { DisplayName = "Compute", Unit = "hours", Aggregation = MetricAggregation.Sum, Decimals = 2 }),
            ("memory_gb_hours", new MetricDefinition { DisplayName = "Memory", Unit = "GB-hours", Aggregation = MetricAggregation.Sum, Decimals = 3 }),
            ("bandwidth_gb", new MetricDefinition { DisplayName = "Bandwidth", Unit = "GB", Aggregation = MetricAggregation.Sum, Decimals = 3 }),
            ("storage_gb", new MetricDefinition { DisplayName = "Storage", Unit = "GB", Aggregation = MetricAggregation.Max, Decimals = 3 }));
        await catalog.LinkAsync();
        var period = await catalog.OrganizationAsync();
        catalog.Stripe.Clock.Advance(6 * Hour);
        var start = period.CurrentPeriodStart!.Value;

        // A sampler every 15 minutes for three containers over four hours: 0.25 h of compute each, 0.128 GB-hours of memory
        // (512 MB), some egress, and the volume's size.
        var events = new List<string>();
        for (var sample = 1; sample <= 16; sample++)
        {
            var at = start + TimeSpan.FromMinutes(15 * sample);
            for (var container = 0; container < 3; container++)
            {
                var key = $"{sample}-{container}";
                events.Add(Event($"cpu-{key}", "compute_hours", "0.25", at));
                events.Add(Event($"mem-{key}", "memory_gb_hours", "0.128", at));
                events.Add(Event($"egress-{key}", "bandwidth_gb", (0.001m * ((sample * 7) + container)).ToString(CultureInfo.InvariantCulture), at));
            }

            events.Add(Event($"disk-{sample}", "storage_gb", (4.5m + (sample % 5 * 0.25m)).ToString(CultureInfo.InvariantCulture), at));
        }

        var answer = await PostOkAsync(catalog.Host, catalog.Token, Batch([.. events]));
        Assert.Equal(events.Count, answer.GetProperty("accepted").GetInt32());
        await catalog.DrainAsync();

        var totals = await catalog.LedgerTotalsAsync(start);
        Assert.Equal(12m, totals["compute_hours"]);
        Assert.Equal(6.144m, totals["memory_gb_hours"]);
        Assert.Equal(2.904m, totals["bandwidth_gb"]);
        Assert.Equal(5.5m, totals["storage_gb"]);
        foreach (var (metric, total) in totals)
        {
            Assert.Equal(catalog.SmallestUnits(metric, total), await catalog.SummaryAsync(metric, start, period.CurrentPeriodEnd!.Value));
        }

        var usage = await UsageAsync(catalog);
        Assert.Equal(12m, usage["compute_hours"].GetProperty("current").GetDecimal());
        Assert.Equal("GB-hours", usage["memory_gb_hours"].GetProperty("unit").GetString());
        Assert.Equal(5.5m, usage["storage_gb"].GetProperty("current").GetDecimal());
    }

    [Fact]
    public async Task VantFlow_AiTokensFromAutomations_StripeBillsEveryTokenAndTheUsageRouteShowsThem()
    {
        await using var catalog = await MeteredCatalog.StartAsync(
            ("ai_tokens", new MetricDefinition { DisplayName = "AI tokens", Unit = "tokens", Aggregation = MetricAggregation.Sum }));
        await catalog.LinkAsync();
        var period = await catalog.OrganizationAsync();
        catalog.Stripe.Clock.Advance(5 * Hour);
        var start = period.CurrentPeriodStart!.Value;

        // Automation runs over three hours, each reporting the tokens its model call used; one batch is sent twice.
        var runs = Enumerable.Range(0, 300).Select(i => Event($"run-{i}", "ai_tokens", (250 + (i % 17 * 31)).ToString(CultureInfo.InvariantCulture), start + TimeSpan.FromSeconds(30 + (i * 36)))).ToList();
        await PostOkAsync(catalog.Host, catalog.Token, Batch([.. runs[..150]]));
        await PostOkAsync(catalog.Host, catalog.Token, Batch([.. runs[150..]]));
        var resent = await PostOkAsync(catalog.Host, catalog.Token, Batch([.. runs[100..200]]));
        Assert.Equal(100, resent.GetProperty("duplicates").GetInt32());
        await catalog.DrainAsync();

        var expected = Enumerable.Range(0, 300).Sum(i => 250 + (i % 17 * 31));
        Assert.Equal((decimal)expected, (await catalog.LedgerTotalsAsync(start))["ai_tokens"]);
        Assert.Equal((long)expected, await catalog.SummaryAsync("ai_tokens", start, period.CurrentPeriodEnd!.Value));
        Assert.True(catalog.Stripe.State.MeterEvents.Count <= 4, "tokens go to Stripe per window, not per run");
        Assert.Equal((decimal)expected, (await UsageAsync(catalog))["ai_tokens"].GetProperty("current").GetDecimal());
    }

    private static async Task<Dictionary<string, JsonElement>> UsageAsync(MeteredCatalog catalog)
    {
        using var response = await InstanceCalls.SendAsync(catalog.Host.Client, HttpMethod.Get, $"/api/organizations/{catalog.OrganizationId}/usage", catalog.Token, null);
        var json = await InstanceCalls.ReadJsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json.GetProperty("usage").EnumerateArray().ToDictionary(u => u.GetProperty("metric").GetString()!, u => u.Clone());
    }
}
