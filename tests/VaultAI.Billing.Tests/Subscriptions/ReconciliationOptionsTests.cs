using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Plans;

namespace VaultAI.Billing.Tests.Subscriptions;

public sealed class ReconciliationOptionsTests
{
    [Theory]
    [InlineData("Interval", "VaultAI:Billing:Reconciliation:Interval")]
    [InlineData("InitialDelay", "VaultAI:Billing:Reconciliation:InitialDelay")]
    [InlineData("PageSize", "VaultAI:Billing:Reconciliation:PageSize")]
    [InlineData("MaxRequestsPerSecond", "VaultAI:Billing:Reconciliation:MaxRequestsPerSecond")]
    public void Validate_BadReconciliationSetting_MessageNamesTheKey(string broken, string expectedKey)
    {
        var services = new ServiceCollection();
        services.AddVaultAIBilling(options =>
        {
            options.Plans["basic"] = new BillingPlan { MonthlyPriceId = "price_1" };
            switch (broken)
            {
                case "Interval":
                    options.Reconciliation.Interval = TimeSpan.FromSeconds(10);
                    break;
                case "InitialDelay":
                    options.Reconciliation.InitialDelay = TimeSpan.FromMinutes(-1);
                    break;
                case "PageSize":
                    options.Reconciliation.PageSize = 101;
                    break;
                case "MaxRequestsPerSecond":
                    options.Reconciliation.MaxRequestsPerSecond = 0;
                    break;
            }
        });
        using var provider = services.BuildServiceProvider();

        var exception = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value);

        Assert.Contains(expectedKey, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_AreDailyDisabledAndValid()
    {
        var services = new ServiceCollection();
        services.AddVaultAIBilling(options => options.Plans["basic"] = new BillingPlan { MonthlyPriceId = "price_1" });
        using var provider = services.BuildServiceProvider();

        var settings = provider.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value.Reconciliation;

        Assert.False(settings.Enabled);
        Assert.Equal(TimeSpan.FromDays(1), settings.Interval);
        Assert.Equal(100, settings.PageSize);
    }
}
