using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Stripe;

namespace VaultAI.Billing.Tests.Stripe;

public sealed class StripeClientOptionsTests
{
    [Theory]
    [InlineData("ApiKey", "VaultAI:Billing:Stripe:ApiKey")]
    [InlineData("PublishableKey", "VaultAI:Billing:Stripe:ApiKey")]
    [InlineData("ApiBase", "VaultAI:Billing:Stripe:ApiBase")]
    [InlineData("MeterEventsBase", "VaultAI:Billing:Stripe:MeterEventsBase")]
    [InlineData("MaxRetries", "VaultAI:Billing:Stripe:MaxRetries")]
    [InlineData("Timeout", "VaultAI:Billing:Stripe:Timeout")]
    [InlineData("InitialRetryDelay", "VaultAI:Billing:Stripe:InitialRetryDelay")]
    [InlineData("MaxRetryDelay", "VaultAI:Billing:Stripe:MaxRetryDelay")]
    [InlineData("MaxRetryAfter", "VaultAI:Billing:Stripe:MaxRetryAfter")]
    public void ResolvingTheClient_BadSetting_FailsWithTheKeyNamed(string broken, string expectedKey)
    {
        using var provider = Provider(options =>
        {
            switch (broken)
            {
                case "ApiKey": options.ApiKey = null; break;
                case "PublishableKey": options.ApiKey = "pk_test_123"; break;
                case "ApiBase": options.ApiBase = new Uri("ftp://api.example"); break;
                case "MeterEventsBase": options.MeterEventsBase = new Uri("https://meter-events.example/?x=1"); break;
                case "MaxRetries": options.MaxRetries = 11; break;
                case "Timeout": options.Timeout = TimeSpan.Zero; break;
                case "InitialRetryDelay": options.InitialRetryDelay = TimeSpan.Zero; break;
                case "MaxRetryDelay": options.MaxRetryDelay = TimeSpan.FromMilliseconds(100); break;
                case "MaxRetryAfter": options.MaxRetryAfter = TimeSpan.FromSeconds(-1); break;
            }
        });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<global::Stripe.IStripeClient>());
        Assert.Contains(expectedKey, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk_test_", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolvingTheClient_ValidOptions_BuildsStripeNetOnTheBasesWithoutTrailingSlash()
    {
        using var provider = Provider(options =>
        {
            options.ApiBase = new Uri("http://127.0.0.1:12111/");
            options.MeterEventsBase = new Uri("http://127.0.0.1:12112");
        });

        var client = provider.GetRequiredService<global::Stripe.IStripeClient>();

        Assert.Same(provider.GetRequiredService<global::Stripe.StripeClient>(), client);
        Assert.Equal("http://127.0.0.1:12111", client.ApiBase);
        Assert.Equal("http://127.0.0.1:12112", client.MeterEventsBase);
        Assert.Equal("sk_test_123", client.ApiKey);
    }

    [Fact]
    public void ToString_NeverShowsTheApiKey()
    {
        var text = new StripeClientOptions { ApiKey = "sk_live_secret" }.ToString();
        Assert.DoesNotContain("sk_live_secret", text, StringComparison.Ordinal);
        Assert.Contains("(redacted)", text, StringComparison.Ordinal);
    }

    private static ServiceProvider Provider(Action<StripeClientOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddVaultAIStripeClient(options =>
        {
            options.ApiKey = "sk_test_123";
            options.InitialRetryDelay = TimeSpan.FromMilliseconds(500);
            configure(options);
        });
        return services.BuildServiceProvider();
    }
}

public sealed class StripeOptionsAtHostStartTests
{
    [Fact]
    public void StartupValidation_BadStripeSettingUnderVaultAIBilling_FailsNamingTheKey()
    {
        var services = new ServiceCollection();
        services.AddVaultAIBilling(options =>
        {
            options.Plans["basic"] = new VaultAI.Billing.Plans.BillingPlan { MonthlyPriceId = "price_1" };
            options.Stripe.ApiKey = "sk_test_" + new string('x', 24);
            options.Stripe.MeterEventsBase = new Uri("https://meter-events.example/?wrong");
        });
        using var provider = services.BuildServiceProvider();

        // What the host runs when it starts (ValidateOnStart), before any Stripe call.
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("VaultAI:Billing:Stripe:MeterEventsBase", error.Message, StringComparison.Ordinal);
    }
}
