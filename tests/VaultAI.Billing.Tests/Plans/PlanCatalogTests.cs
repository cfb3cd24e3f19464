using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Plans;

namespace VaultAI.Billing.Tests.Plans;

public class PlanCatalogTests
{
    private static BillingPlan VapiIncluded() => new()
    {
        MonthlyPriceId = "price_base",
        MonthlyAmount = 9900,
        Metrics = { ["call_minutes"] = new PlanMetric { Included = 1000, OveragePriceId = "price_minutes", OverageUnitAmount = 5 } },
    };

    [Fact]
    public void SubscriptionItems_BasePlusOverage_LicensedBaseThenMeteredOverage()
    {
        Assert.Equal([new PlanItem("price_base", 1), new PlanItem("price_minutes", null)], VapiIncluded().SubscriptionItems(yearly: false));
    }

    [Fact]
    public void SubscriptionItems_PerUserPlanWithoutAmount_BaseIsMetered()
    {
        var plan = new BillingPlan { MonthlyPriceId = "price_users", YearlyPriceId = "price_users_year", MonthlyUnitAmount = 800 };

        Assert.Equal([new PlanItem("price_users", null)], plan.SubscriptionItems(yearly: false));
        Assert.Equal([new PlanItem("price_users_year", null)], plan.SubscriptionItems(yearly: true));
    }

    [Fact]
    public void SubscriptionItems_SeatsAndYearly_UsesTheYearlyPricesAndTheSeatQuantity()
    {
        var plan = new BillingPlan
        {
            MonthlyPriceId = "price_m",
            YearlyPriceId = "price_y",
            MonthlyAmount = 2900,
            YearlyAmount = 29000,
            Seats = new PlanSeats { PriceId = "price_seat_m", YearlyPriceId = "price_seat_y", Quantity = 5 },
        };

        Assert.Equal([new PlanItem("price_y", 1), new PlanItem("price_seat_y", 5)], plan.SubscriptionItems(yearly: true));
        Assert.True(plan.HasPrice("price_seat_m"));
        Assert.False(plan.HasPrice("price_other"));
    }

    [Fact]
    public void SubscriptionItems_FreePlan_IsEmpty()
    {
        var plan = new BillingPlan { Metrics = { ["storage_gb"] = new PlanMetric { Limit = 5 } } };

        Assert.True(plan.IsFree);
        Assert.Empty(plan.SubscriptionItems(yearly: false));
    }

    [Theory]
    [InlineData(null, null, true)]
    [InlineData(-1.0, null, true)]
    [InlineData(200.0, 200.0, false)]
    public void FindLimit_NullOrMinusOne_IsUnlimited(double? configured, double? expected, bool unlimited)
    {
        var plan = new BillingPlan { Metrics = { ["storage_gb"] = new PlanMetric { Limit = (decimal?)configured, Included = 10 } } };

        var limit = plan.FindLimit("storage_gb")!;

        Assert.Equal((decimal?)expected, limit.Limit);
        Assert.Equal(unlimited, limit.Limit is null);
        Assert.Equal(10m, limit.Included);
    }

    [Fact]
    public void FindLimit_LegacyLimitsShorthand_IsAHardLimit()
    {
        var plan = new BillingPlan { Limits = { ["active_users"] = 50 } };

        Assert.Equal(new PlanLimit("active_users", 50, true, 0), plan.FindLimit("active_users"));
        Assert.Null(plan.FindLimit("tokens"));
    }

    [Fact]
    public void FindLimit_SoftLimit_IsNotHard()
    {
        var plan = new BillingPlan { Metrics = { ["ai_tokens"] = new PlanMetric { Limit = 100_000, Hard = false } } };

        Assert.False(plan.FindLimit("ai_tokens")!.Hard);
    }

    [Theory]
    [InlineData("UnknownMetric", "VaultAI:Billing:Plans:pro:Metrics:nope")]
    [InlineData("BadLimit", "VaultAI:Billing:Plans:pro:Metrics:call_minutes:Limit")]
    [InlineData("AmountWithoutPrice", "VaultAI:Billing:Plans:pro:MonthlyPriceId")]
    [InlineData("OverageWithoutPrice", "VaultAI:Billing:Plans:pro:Metrics:call_minutes:OveragePriceId")]
    [InlineData("YearlyWithoutYearlyOverage", "VaultAI:Billing:Plans:pro:Metrics:call_minutes:YearlyOveragePriceId")]
    [InlineData("SeatMetricNotLast", "VaultAI:Billing:Plans:pro:Seats:Metric")]
    [InlineData("TrialDays", "VaultAI:Billing:Plans:pro:TrialDays")]
    [InlineData("Currency", "VaultAI:Billing:Plans:pro:Currency")]
    public void Validate_BadPlan_MessageNamesTheKey(string broken, string expectedKey)
    {
        var error = ValidationError(options =>
        {
            options.Metrics["call_minutes"] = new MetricDefinition { Aggregation = MetricAggregation.Sum, Decimals = 2 };
            var plan = VapiIncluded();
            options.Plans["pro"] = plan;
            switch (broken)
            {
                case "UnknownMetric":
                    plan.Metrics["nope"] = new PlanMetric();
                    break;
                case "BadLimit":
                    plan.Metrics["call_minutes"].Limit = -2;
                    break;
                case "AmountWithoutPrice":
                    plan.MonthlyPriceId = "";
                    break;
                case "OverageWithoutPrice":
                    plan.Metrics["call_minutes"].OveragePriceId = null;
                    break;
                case "YearlyWithoutYearlyOverage":
                    plan.YearlyPriceId = "price_year";
                    plan.YearlyAmount = 99000;
                    break;
                case "SeatMetricNotLast":
                    plan.Seats = new PlanSeats { PriceId = "price_seat", Metric = "call_minutes" };
                    break;
                case "TrialDays":
                    plan.TrialDays = -1;
                    break;
                case "Currency":
                    plan.Currency = "euro";
                    break;
            }
        });

        Assert.Contains(expectedKey, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_FreePlanAndPaidPlan_Pass()
    {
        var services = new ServiceCollection();
        services.AddVaultAIBilling(options =>
        {
            options.Metrics["call_minutes"] = new MetricDefinition { Aggregation = MetricAggregation.Sum, Decimals = 2 };
            options.Plans["free"] = new BillingPlan { DisplayName = "Free", Metrics = { ["call_minutes"] = new PlanMetric { Limit = 60 } } };
            options.Plans["pro"] = VapiIncluded();
        });
        using var provider = services.BuildServiceProvider();

        Assert.True(provider.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value.Plans["free"].IsFree);
    }

    private static string ValidationError(Action<VaultAIBillingOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddVaultAIBilling(configure);
        using var provider = services.BuildServiceProvider();
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value).Message;
    }
}
