using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Testing;
using VaultAI.Billing.EntityFramework.Tests.Subscriptions;

namespace VaultAI.Billing.EntityFramework.Tests.Plans;

/// <summary>MRR from what subscriptions bill: the interval and quantity Stripe holds, and last period's overage.</summary>
public sealed class MrrTests
{
    [Fact]
    public async Task Mrr_MonthlySeatsThenYearly_CountsQuantityThenATwelfthOfTheYear()
    {
        await using var rig = await LifecycleRig.StartAsync(configure: o =>
        {
            o.Plans["basic"].MonthlyAmount = 2000;
            o.Plans["pro"].MonthlyAmount = 5000;
            o.Plans["pro"].YearlyAmount = 50000;
        });

        var monthly = await rig.OrganizationAsync();
        Assert.Equal(("month", 3L), (monthly.BillingInterval, monthly.LicensedQuantity));
        Assert.Equal((1, 6000L), PlanRow(await RevenueAsync(rig), "basic"));

        await rig.PostTwiceAsync("plan", """{"plan_type":"pro","billing_interval":"yearly"}""");

        var yearly = await rig.OrganizationAsync();
        Assert.Equal(("year", 3L), (yearly.BillingInterval, yearly.LicensedQuantity));
        var revenue = await RevenueAsync(rig);
        Assert.Equal((0, 0L), PlanRow(revenue, "basic"));
        // 3 seats at 500 EUR a year: 1,500 EUR a year, 125 EUR a month.
        Assert.Equal((1, 12_500L), PlanRow(revenue, "pro"));
        Assert.Equal(12_500L, Assert.Single(revenue.GetProperty("totals").EnumerateArray()).GetProperty("mrr").GetInt64());

        // The library gives the same figures as the route.
        using var scope = rig.Host.Services.CreateScope();
        var summary = await scope.ServiceProvider.GetRequiredService<VaultAI.Billing.Subscriptions.SubscriptionLifecycle>().GetRevenueAsync();
        Assert.Equal(12_500L, summary.Plans.Single(p => p.Plan == "pro").Mrr);
    }

    [Fact]
    public async Task Mrr_BasePlusIncludedMinutes_AddsTheOverageOfTheLastPaidInvoice()
    {
        string fee = "", minutes = "";
        await using var world = await SeedPricingWorld.StartAsync(async stripe =>
        {
            var meter = await SeedPricingWorld.MeterAsync(stripe, "call_minutes", "sum");
            var product = await SeedPricingWorld.ProductAsync(stripe, "Vapi Base + Minutes");
            fee = await SeedPricingWorld.LicensedPriceAsync(stripe, product, "usd", 9900);
            minutes = await SeedPricingWorld.IncludedThenOverageAsync(stripe, product, "usd", meter, 100_000, 0.05m);
            return o =>
            {
                o.Metrics["call_minutes"] = new MetricDefinition { Aggregation = MetricAggregation.Sum, Decimals = 2, MeterEventName = "call_minutes" };
                o.Plans["vapi-included"] = new BillingPlan
                {
                    DisplayName = "Vapi Base + Minutes",
                    Currency = "usd",
                    MonthlyPriceId = fee,
                    MonthlyAmount = 9900,
                    Metrics = { ["call_minutes"] = new PlanMetric { Included = 1000, OveragePriceId = minutes, OverageUnitAmount = 5 } },
                };
            };
        });
        world.Stripe.AddWebhookEndpoint(new Uri(world.Host.BaseAddress, "/api/stripe/webhook"));
        var (org, _, _, clock) = await world.LinkOnTestClockAsync("vapi-included");
        var start = world.Stripe.Clock.GetUtcNow();

        // Before any usage was invoiced: the base fee alone.
        Assert.Equal((1, 9900L), PlanRow(await RevenueAsync(world.Host), "vapi-included"));

        await world.RecordAndSendAsync(
            org,
            clock,
            new UsageEvent("m1", "call_minutes", 600.25m, start.AddMinutes(5)),
            new UsageEvent("m2", "call_minutes", 650m, start.AddMinutes(40)));
        await world.AdvanceToAsync(clock, start.AddMonths(1).AddHours(2));

        // The cycle invoice (1,250.25 minutes: 250.25 over at 0.05 USD = 12.51 USD) reaches our mirror by webhook.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            await using var db = world.Host.CreateDbContext();
            if (await db.Invoices.AsNoTracking().AnyAsync(i => i.OrganizationId == org && i.Status == "paid" && i.OverageAmount == 1251))
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the cycle invoice was not mirrored with its overage");
            await Task.Delay(50);
        }

        var revenue = await RevenueAsync(world.Host);
        var row = revenue.GetProperty("plans").EnumerateArray().Single(p => p.GetProperty("plan").GetString() == "vapi-included");
        Assert.Equal((9900L + 1251L, 1251L), (row.GetProperty("mrr").GetInt64(), row.GetProperty("overage").GetInt64()));
    }

    private static Task<JsonElement> RevenueAsync(LifecycleRig rig) => RevenueAsync(rig.Host);

    private static async Task<JsonElement> RevenueAsync(BillingTestHost host)
    {
        using var response = await host.Admin.GetAsync("/api/admin/revenue");
        var json = await InstanceCalls.ReadJsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json;
    }

    private static (int Organizations, long Mrr) PlanRow(JsonElement revenue, string plan)
    {
        var row = revenue.GetProperty("plans").EnumerateArray().Single(p => p.GetProperty("plan").GetString() == plan);
        return (row.GetProperty("organizations").GetInt32(), row.GetProperty("mrr").GetInt64());
    }
}
