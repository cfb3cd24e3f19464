using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Plans;

namespace VaultAI.Billing.Tests.DependencyInjection;

public sealed class OptionsValidationTests
{
    [Fact]
    public void Validate_NoPlans_NamesThePlansSetting()
    {
        var error = ValidationError(_ => { });
        Assert.Contains("VaultAI:Billing:Plans", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MonthlyPriceId", "VaultAI:Billing:Plans:basic:MonthlyPriceId")]
    [InlineData("AutomaticPlan", "VaultAI:Billing:AutomaticPlan")]
    [InlineData("TrialDays", "VaultAI:Billing:DefaultTrialDays")]
    [InlineData("BatchSize", "VaultAI:Billing:Dispatcher:BatchSize")]
    [InlineData("Secret", "VaultAI:Billing:Webhooks:Secrets")]
    [InlineData("Metered", "VaultAI:Billing:Plans:basic:Metered:0")]
    [InlineData("MaxAttempts", "VaultAI:Billing:Webhooks:MaxAttempts")]
    [InlineData("RollupWindowZero", "VaultAI:Billing:Metering:RollupWindow")]
    [InlineData("RollupWindowUneven", "VaultAI:Billing:Metering:RollupWindow")]
    [InlineData("RollupGrace", "VaultAI:Billing:Metering:RollupGrace")]
    [InlineData("MaxConcurrentRequests", "VaultAI:Billing:UsageEvents:MaxConcurrentRequests")]
    public void Validate_BadSetting_MessageNamesTheKey(string broken, string expectedKey)
    {
        var error = ValidationError(options =>
        {
            options.Plans["basic"] = new BillingPlan { MonthlyPriceId = broken == "MonthlyPriceId" ? "" : "price_1", MonthlyAmount = 4900 };
            switch (broken)
            {
                case "AutomaticPlan":
                    options.LinkingMode = LinkingMode.Automatic;
                    options.AutomaticPlan = "missing";
                    break;
                case "TrialDays":
                    options.DefaultTrialDays = -1;
                    break;
                case "BatchSize":
                    options.Dispatcher.BatchSize = 0;
                    break;
                case "Secret":
                    options.Webhooks.Secrets = ["not-a-secret"];
                    break;
                case "MaxAttempts":
                    options.Webhooks.MaxAttempts = 0;
                    break;
                case "RollupWindowZero":
                    options.Metering.RollupWindow = TimeSpan.Zero;
                    break;
                case "RollupWindowUneven":
                    options.Metering.RollupWindow = TimeSpan.FromMinutes(7);
                    break;
                case "RollupGrace":
                    options.Metering.RollupGrace = TimeSpan.FromMinutes(-1);
                    break;
                case "MaxConcurrentRequests":
                    options.UsageEvents.MaxConcurrentRequests = -1;
                    break;
                case "Metered":
                    options.Plans["basic"].Metered.Add(new MeteredComponent { Metric = "active_users", MeterEventName = "" });
                    break;
            }
        });

        Assert.Contains(expectedKey, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_GoodOptions_Pass()
    {
        var services = new ServiceCollection();
        services.AddVaultAIBilling(options =>
        {
            options.Plans["basic"] = new BillingPlan { MonthlyPriceId = "price_1" };
            options.Stripe.ApiKey = "sk_test_" + new string('x', 24);
        });
        using var provider = services.BuildServiceProvider();
        Assert.Equal("price_1", provider.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value.Plans["basic"].MonthlyPriceId);
    }

    [Fact]
    public void AddVaultAIBilling_CalledTwice_RegistersOneDispatcherAndOneValidator()
    {
        var services = new ServiceCollection();
        services.AddVaultAIBilling(o => o.Plans["basic"] = new BillingPlan { MonthlyPriceId = "price_1" });
        services.AddVaultAIBilling();
        Assert.Single(services, d => d.ServiceType == typeof(VaultAI.Billing.Metering.IMeterEventDispatcher));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<VaultAIBillingOptions>));
    }

    private static string ValidationError(Action<VaultAIBillingOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddVaultAIBilling(configure);
        using var provider = services.BuildServiceProvider();
        var exception = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value);
        return exception.Message;
    }
}
