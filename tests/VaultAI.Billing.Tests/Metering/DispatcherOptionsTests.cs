using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Plans;

namespace VaultAI.Billing.Tests.Metering;

public sealed class DispatcherOptionsTests
{
    [Theory]
    [InlineData(MeterEventTransport.V1, 900)]
    [InlineData(MeterEventTransport.V2Stream, 9000)]
    public void MaxRequestsPerSecond_Unset_Is90PercentOfStripesLimitForTheTransport(MeterEventTransport transport, int expected)
    {
        var options = Resolve(o => o.Dispatcher.Transport = transport);

        Assert.Null(options.Dispatcher.MaxRequestsPerSecond);
        Assert.Equal(expected, options.Dispatcher.EffectiveRequestsPerSecond);
    }

    [Theory]
    [InlineData(MeterEventTransport.V1, 1001)]
    [InlineData(MeterEventTransport.V1, 0)]
    [InlineData(MeterEventTransport.V2Stream, 10001)]
    public void MaxRequestsPerSecond_OutsideStripesLimit_FailsAtStartNamingTheKey(MeterEventTransport transport, int perSecond)
    {
        var services = Services(o =>
        {
            o.Dispatcher.Transport = transport;
            o.Dispatcher.MaxRequestsPerSecond = perSecond;
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value);

        Assert.Contains("VaultAI:Billing:Dispatcher:MaxRequestsPerSecond", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(MeterEventTransport.V1, 1000)]
    [InlineData(MeterEventTransport.V1, 20)]
    [InlineData(MeterEventTransport.V2Stream, 10000)]
    public void MaxRequestsPerSecond_WithinStripesLimit_IsUsedAsSet(MeterEventTransport transport, int perSecond)
    {
        var options = Resolve(o =>
        {
            o.Dispatcher.Transport = transport;
            o.Dispatcher.MaxRequestsPerSecond = perSecond;
        });

        Assert.Equal(perSecond, options.Dispatcher.EffectiveRequestsPerSecond);
    }

    private static VaultAIBillingOptions Resolve(Action<VaultAIBillingOptions> configure)
    {
        using var provider = Services(configure).BuildServiceProvider();
        return provider.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value;
    }

    private static ServiceCollection Services(Action<VaultAIBillingOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddVaultAIBilling(o =>
        {
            o.Plans["basic"] = new BillingPlan { MonthlyPriceId = "price_1" };
            o.Stripe.ApiKey = "sk_test_" + new string('x', 24);
            configure(o);
        });
        return services;
    }
}
