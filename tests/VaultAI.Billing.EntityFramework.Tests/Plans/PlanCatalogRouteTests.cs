using System.Net;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Plans;

/// <summary><c>GET /api/plans</c>: the public catalog, for any organization's own token.</summary>
public sealed class PlanCatalogRouteTests : IAsyncLifetime
{
    private StripeEmulator _stripe = null!;
    private BillingTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _stripe = await StripeEmulator.StartAsync();
        _host = await BillingTestHost.StartAsync(_stripe, "price_unused", configure: o =>
        {
            o.Metrics["ai_tokens"] = new MetricDefinition { DisplayName = "AI tokens", Unit = "tokens", Aggregation = MetricAggregation.Sum };
            o.Metrics["storage_gb"] = new MetricDefinition { DisplayName = "Storage", Unit = "GB", Aggregation = MetricAggregation.Last, Decimals = 2 };
            o.Plans["vantflow-pro"] = new BillingPlan
            {
                DisplayName = "VantFlow Pro",
                Currency = "usd",
                MonthlyPriceId = "price_pro_monthly",
                MonthlyAmount = 2900,
                YearlyPriceId = "price_pro_yearly",
                YearlyAmount = 29000,
                TrialDays = 14,
                Metrics = { ["ai_tokens"] = new PlanMetric { Limit = 100_000 } },
                Features = { "automations" },
            };
            o.Plans["helvetia-enterprise"] = new BillingPlan
            {
                DisplayName = "Helvetia Enterprise",
                Currency = "usd",
                MonthlyPriceId = "price_ent",
                MonthlyAmount = 19900,
                Metrics = { ["storage_gb"] = new PlanMetric { Limit = -1, OveragePriceId = "price_storage", OverageUnitAmount = 2.3m } },
            };
            o.Plans["helvetia-free"] = new BillingPlan { DisplayName = "Helvetia Free", Metrics = { ["storage_gb"] = new PlanMetric { Limit = 5 } } };
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _stripe.DisposeAsync();
    }

    [Fact]
    public async Task GetPlans_OrganizationToken_ListsPricesTrialLimitsAndFeatures()
    {
        var token = await InstanceCalls.RegisterAsync(_host.Client, Guid.NewGuid());

        using var response = await InstanceCalls.SendAsync(_host.Client, HttpMethod.Get, "/api/plans", token, null);
        var json = await InstanceCalls.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var plans = json.GetProperty("plans").EnumerateArray().ToDictionary(p => p.GetProperty("key").GetString()!);
        var pro = plans["vantflow-pro"];
        Assert.Equal("VantFlow Pro", pro.GetProperty("display_name").GetString());
        Assert.Equal(14, pro.GetProperty("trial_days").GetInt32());
        Assert.Equal(
            [("month", 2900L), ("year", 29000L)],
            pro.GetProperty("prices").EnumerateArray().Select(p => (p.GetProperty("interval").GetString()!, p.GetProperty("amount").GetInt64())).ToArray());
        var tokens = Assert.Single(pro.GetProperty("metrics").EnumerateArray());
        Assert.Equal(100_000m, tokens.GetProperty("limit").GetDecimal());
        Assert.False(tokens.GetProperty("unlimited").GetBoolean());
        Assert.Equal("automations", Assert.Single(pro.GetProperty("features").EnumerateArray()).GetString());

        var storage = Assert.Single(plans["helvetia-enterprise"].GetProperty("metrics").EnumerateArray());
        Assert.Equal("unlimited", storage.GetProperty("limit").GetString());
        Assert.True(storage.GetProperty("unlimited").GetBoolean());
        Assert.Equal(2.3m, storage.GetProperty("overage_unit_amount").GetDecimal());

        Assert.True(plans["helvetia-free"].GetProperty("free").GetBoolean());
        Assert.Empty(plans["helvetia-free"].GetProperty("prices").EnumerateArray());
    }

    [Fact]
    public async Task GetPlans_WithoutToken_Is401ProblemDetails()
    {
        using var response = await InstanceCalls.SendAsync(_host.Client, HttpMethod.Get, "/api/plans", null, null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
