using Stripe;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Plans;

namespace VaultAI.Billing.EntityFramework.Tests.Plans;

/// <summary>
/// Each seed's pricing, expressed in the catalog, bills a month of usage right: the organization is linked through the
/// admin route (every item of its plan), usage goes through the ledger and the outbox to Stripe meters, a Stripe test clock
/// moves the period on, and the invoice Stripe.net reads carries the expected lines and total.
/// </summary>
public sealed class SeedPricingInvoiceTests
{
    private static readonly TimeSpan Month = TimeSpan.FromDays(31);

    [Fact]
    public async Task VapiFixedFee_MonthOfCalls_InvoicesTheFeeAlone()
    {
        string fee = "";
        await using var world = await SeedPricingWorld.StartAsync(async stripe =>
        {
            fee = await SeedPricingWorld.LicensedPriceAsync(stripe, await SeedPricingWorld.ProductAsync(stripe, "Vapi Fixed"), "usd", 4900);
            return o =>
            {
                o.Metrics["call_minutes"] = new MetricDefinition { Aggregation = MetricAggregation.Sum, Decimals = 2 };
                o.Plans["vapi-fixed"] = new BillingPlan { DisplayName = "Vapi Fixed", Currency = "usd", MonthlyPriceId = fee, MonthlyAmount = 4900 };
            };
        });
        var (org, _, customer, clock) = await world.LinkOnTestClockAsync("vapi-fixed");
        var start = world.Stripe.Clock.GetUtcNow();

        await world.RecordAndSendAsync(org, clock, new UsageEvent("c1", "call_minutes", 1500.5m, start.AddMinutes(5)));
        await world.AdvanceToAsync(clock, start + Month);

        var invoices = await world.InvoicesAsync(customer);
        Assert.Equal(2, invoices.Count);
        Assert.All(invoices, i => Assert.Equal(4900, i.Total));
        var cycle = invoices[1];
        Assert.Equal("subscription_cycle", cycle.BillingReason);
        var line = Assert.Single(cycle.Lines.Data);
        Assert.Equal(fee, line.Pricing.PriceDetails.PriceId);
        Assert.Equal(1, line.Quantity);
        Assert.Equal("paid", cycle.Status);
    }

    [Fact]
    public async Task VapiBasePlusIncludedMinutes_OverTheIncludedMinutes_InvoicesBaseFreeTierAndOverage()
    {
        string fee = "", minutes = "";
        await using var world = await SeedPricingWorld.StartAsync(async stripe =>
        {
            var meter = await SeedPricingWorld.MeterAsync(stripe, "call_minutes", "sum");
            var product = await SeedPricingWorld.ProductAsync(stripe, "Vapi Base + Minutes");
            fee = await SeedPricingWorld.LicensedPriceAsync(stripe, product, "usd", 9900);
            // 1,000 minutes included, then 5 cents a minute; quantities in hundredths of a minute.
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
        var (org, _, customer, clock) = await world.LinkOnTestClockAsync("vapi-included");
        var start = world.Stripe.Clock.GetUtcNow();
        var subscription = Assert.Single(world.Stripe.State.Subscriptions);
        Assert.Equal([fee, minutes], subscription.Items.Select(i => i.PriceId).ToArray());

        await world.RecordAndSendAsync(
            org,
            clock,
            new UsageEvent("m1", "call_minutes", 600.25m, start.AddMinutes(5)),
            new UsageEvent("m2", "call_minutes", 650m, start.AddMinutes(40)));
        await world.AdvanceToAsync(clock, start + Month);

        var cycle = (await world.InvoicesAsync(customer))[^1];
        var lines = cycle.Lines.Data;
        Assert.Equal(3, lines.Count);
        Assert.Equal((fee, 1L, 9900L), (lines[0].Pricing.PriceDetails.PriceId, lines[0].Quantity ?? 0, lines[0].Amount));
        // 1,250.25 minutes: the first 1,000 free, the other 250.25 at 0.05 USD = 12.51 USD.
        Assert.Equal((minutes, 100_000L, 0L), (lines[1].Pricing.PriceDetails.PriceId, lines[1].Quantity ?? 0, lines[1].Amount));
        Assert.Equal((minutes, 25_025L, 1251L), (lines[2].Pricing.PriceDetails.PriceId, lines[2].Quantity ?? 0, lines[2].Amount));
        Assert.Contains("Tier 2", lines[2].Description, StringComparison.Ordinal);
        Assert.Equal(9900 + 1251, cycle.Total);
    }

    [Fact]
    public async Task VapiBasePlusIncludedMinutes_UnderTheIncludedMinutes_InvoicesTheBaseOnly()
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
                    Currency = "usd",
                    MonthlyPriceId = fee,
                    MonthlyAmount = 9900,
                    Metrics = { ["call_minutes"] = new PlanMetric { Included = 1000, OveragePriceId = minutes, OverageUnitAmount = 5 } },
                };
            };
        });
        var (org, _, customer, clock) = await world.LinkOnTestClockAsync("vapi-included");
        var start = world.Stripe.Clock.GetUtcNow();

        await world.RecordAndSendAsync(org, clock, new UsageEvent("m1", "call_minutes", 999.99m, start.AddMinutes(5)));
        await world.AdvanceToAsync(clock, start + Month);

        var cycle = (await world.InvoicesAsync(customer))[^1];
        Assert.Equal(9900, cycle.Total);
        Assert.Equal([99_999L, 0L], cycle.Lines.Data.Where(l => l.Pricing.PriceDetails.PriceId == minutes).Select(l => l.Quantity ?? -1).ToArray());
    }

    [Fact]
    public async Task VaultAIPerUser_LastReportOfTheMonth_InvoicesUsersTimesUnitPrice()
    {
        string perUser = "";
        await using var world = await SeedPricingWorld.StartAsync(async stripe =>
        {
            var meter = await SeedPricingWorld.MeterAsync(stripe, BillingTestHost.MeterEventName, "last");
            perUser = await SeedPricingWorld.MeteredPriceAsync(stripe, await SeedPricingWorld.ProductAsync(stripe, "Self-Hosted"), "eur", meter, 800m);
            return o => o.Plans[BillingTestHost.PlanKey] = new BillingPlan
            {
                DisplayName = "Self-Hosted",
                MonthlyPriceId = perUser,
                MonthlyUnitAmount = 800,
                Metered = { new MeteredComponent { Metric = "active_users", MeterEventName = BillingTestHost.MeterEventName, Aggregation = MeterAggregation.Last } },
            };
        });
        var (org, token, customer, clock) = await world.LinkOnTestClockAsync(BillingTestHost.PlanKey);
        var start = world.Stripe.Clock.GetUtcNow();

        world.Stripe.Clock.Advance(TimeSpan.FromHours(3));
        (await InstanceCalls.ReportAsync(world.Host.Client, token, org, 30, start.AddHours(1))).EnsureSuccessStatusCode();
        (await InstanceCalls.ReportAsync(world.Host.Client, token, org, 50, start.AddHours(2))).EnsureSuccessStatusCode();
        await world.SendAsync(clock);
        await world.AdvanceToAsync(clock, start + Month);

        var cycle = (await world.InvoicesAsync(customer))[^1];
        var line = Assert.Single(cycle.Lines.Data);
        Assert.Equal((perUser, 50L, 40_000L), (line.Pricing.PriceDetails.PriceId, line.Quantity ?? 0, line.Amount));
        Assert.Equal(40_000, cycle.Total);
    }

    [Fact]
    public async Task HelvetiaStarter_FourMeteredResources_InvoicesBaseAndEachResource()
    {
        var prices = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var world = await SeedPricingWorld.StartAsync(async stripe =>
        {
            var product = await SeedPricingWorld.ProductAsync(stripe, "Helvetia Starter");
            prices["base"] = await SeedPricingWorld.LicensedPriceAsync(stripe, product, "usd", 1900);
            // Cents per unit (0.01 USD an hour, 0.005 a GB-hour, 0.12 a GB, 0.023 a GB-month), per hundredth of a unit.
            foreach (var (metric, formula, cents) in new[] { ("compute_hours", "sum", 1m), ("memory_gb_hours", "sum", 0.5m), ("bandwidth_gb", "sum", 12m), ("storage_gb", "last", 2.3m) })
            {
                var meter = await SeedPricingWorld.MeterAsync(stripe, metric, formula);
                prices[metric] = await SeedPricingWorld.MeteredPriceAsync(stripe, product, "usd", meter, cents / 100m);
            }

            return o =>
            {
                foreach (var metric in new[] { "compute_hours", "memory_gb_hours", "bandwidth_gb" })
                {
                    o.Metrics[metric] = new MetricDefinition { Aggregation = MetricAggregation.Sum, Decimals = 2, MeterEventName = metric };
                }

                o.Metrics["storage_gb"] = new MetricDefinition { Aggregation = MetricAggregation.Last, Decimals = 2, MeterEventName = "storage_gb" };
                o.Plans["helvetia-starter"] = new BillingPlan
                {
                    Currency = "usd",
                    MonthlyPriceId = prices["base"],
                    MonthlyAmount = 1900,
                    Metrics =
                    {
                        ["compute_hours"] = new PlanMetric { OveragePriceId = prices["compute_hours"], OverageUnitAmount = 1 },
                        ["memory_gb_hours"] = new PlanMetric { OveragePriceId = prices["memory_gb_hours"], OverageUnitAmount = 0.5m },
                        ["bandwidth_gb"] = new PlanMetric { OveragePriceId = prices["bandwidth_gb"], OverageUnitAmount = 12, Limit = 100 },
                        ["storage_gb"] = new PlanMetric { OveragePriceId = prices["storage_gb"], OverageUnitAmount = 2.3m, Limit = 50 },
                    },
                };
            };
        });
        var (org, _, customer, clock) = await world.LinkOnTestClockAsync("helvetia-starter");
        var start = world.Stripe.Clock.GetUtcNow();
        Assert.Equal(5, Assert.Single(world.Stripe.State.Subscriptions).Items.Count);

        await world.RecordAndSendAsync(
            org,
            clock,
            new UsageEvent("c1", "compute_hours", 60m, start.AddMinutes(1)),
            new UsageEvent("c2", "compute_hours", 40m, start.AddMinutes(2)),
            new UsageEvent("m1", "memory_gb_hours", 300m, start.AddMinutes(3)),
            new UsageEvent("b1", "bandwidth_gb", 25.5m, start.AddMinutes(4)),
            new UsageEvent("s1", "storage_gb", 30m, start.AddMinutes(5)),
            new UsageEvent("s2", "storage_gb", 40m, start.AddMinutes(6)));
        await world.AdvanceToAsync(clock, start + Month);

        var cycle = (await world.InvoicesAsync(customer))[^1];
        var byPrice = cycle.Lines.Data.ToDictionary(l => l.Pricing.PriceDetails.PriceId, l => (l.Quantity ?? 0, l.Amount));
        Assert.Equal((1L, 1900L), byPrice[prices["base"]]);
        Assert.Equal((10_000L, 100L), byPrice[prices["compute_hours"]]); // 100 h at 0.01 USD
        Assert.Equal((30_000L, 150L), byPrice[prices["memory_gb_hours"]]); // 300 GB-h at 0.005 USD
        Assert.Equal((2_550L, 306L), byPrice[prices["bandwidth_gb"]]); // 25.5 GB at 0.12 USD
        Assert.Equal((4_000L, 92L), byPrice[prices["storage_gb"]]); // 40 GB (the last value) at 0.023 USD
        Assert.Equal(1900 + 100 + 150 + 306 + 92, cycle.Total);
    }

    [Fact]
    public async Task VantFlowProYearly_TrialThenAYear_InvoicesTheYearlyFeeForAYearAtATime()
    {
        string monthly = "", yearly = "";
        await using var world = await SeedPricingWorld.StartAsync(async stripe =>
        {
            var product = await SeedPricingWorld.ProductAsync(stripe, "VantFlow Pro");
            monthly = await SeedPricingWorld.LicensedPriceAsync(stripe, product, "usd", 2900);
            yearly = await SeedPricingWorld.LicensedPriceAsync(stripe, product, "usd", 29000, "year");
            return o =>
            {
                o.Metrics["ai_tokens"] = new MetricDefinition { Aggregation = MetricAggregation.Sum };
                o.Plans["vantflow-pro"] = new BillingPlan
                {
                    DisplayName = "VantFlow Pro",
                    Currency = "usd",
                    MonthlyPriceId = monthly,
                    MonthlyAmount = 2900,
                    YearlyPriceId = yearly,
                    YearlyAmount = 29000,
                    TrialDays = 14,
                    Metrics = { ["ai_tokens"] = new PlanMetric { Limit = 100_000 } },
                };
            };
        });
        var (org, _, customer, clock) = await world.LinkOnTestClockAsync("vantflow-pro", "yearly", trialDays: null);
        var subscription = Assert.Single(world.Stripe.State.Subscriptions);
        Assert.Equal("trialing", subscription.Status);
        Assert.Equal(yearly, Assert.Single(subscription.Items).PriceId);
        await world.RecordAndSendAsync(org, clock, new UsageEvent("t1", "ai_tokens", 90_000, world.Stripe.Clock.GetUtcNow()));

        await world.AdvanceAsync(clock, TimeSpan.FromDays(15));
        var afterTrial = await world.InvoicesAsync(customer);
        Assert.Equal([0L, 29_000L], afterTrial.Select(i => i.Total).ToArray());
        var yearLine = Assert.Single(afterTrial[1].Lines.Data);
        Assert.Equal(yearly, yearLine.Pricing.PriceDetails.PriceId);
        Assert.InRange((yearLine.Period.End - yearLine.Period.Start).TotalDays, 365, 366);

        await world.AdvanceAsync(clock, TimeSpan.FromDays(200));
        Assert.Equal(2, (await world.InvoicesAsync(customer)).Count);
        await world.AdvanceAsync(clock, TimeSpan.FromDays(200));
        var afterAYear = await world.InvoicesAsync(customer);
        Assert.Equal([0L, 29_000L, 29_000L], afterAYear.Select(i => i.Total).ToArray());
    }
}
