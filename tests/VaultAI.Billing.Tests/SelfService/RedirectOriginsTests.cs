using Microsoft.Extensions.Options;
using VaultAI.Billing.DependencyInjection.Internal;
using VaultAI.Billing.Plans;
using VaultAI.Billing.SelfService.Internal;

namespace VaultAI.Billing.Tests.SelfService;

public sealed class RedirectOriginsTests
{
    private static readonly string[] Allowed = ["https://app.example.com", "http://localhost:5080"];

    [Theory]
    [InlineData("https://app.example.com/billing?tab=plans")]
    [InlineData("https://APP.example.com/")]
    [InlineData("https://app.example.com:443/ok")]
    [InlineData("http://localhost:5080/billing")]
    public void Require_UrlWithinAnAllowedOrigin_IsReturned(string url) =>
        Assert.Equal(url, RedirectOrigins.Require(url, "success_url", Allowed));

    [Theory]
    [InlineData("https://evil.example/billing", "redirect_not_allowed")]
    [InlineData("https://app.example.com.evil.example/", "redirect_not_allowed")]
    [InlineData("http://app.example.com/billing", "redirect_not_allowed")]
    [InlineData("https://app.example.com:8443/billing", "redirect_not_allowed")]
    [InlineData("http://localhost:5081/", "redirect_not_allowed")]
    [InlineData("https://user@app.example.com/", "invalid_field")]
    [InlineData("/billing", "invalid_field")]
    [InlineData("javascript:alert(1)", "invalid_field")]
    [InlineData("", "invalid_field")]
    public void Require_UrlOutsideTheAllowedOrigins_Is400NamingTheField(string url, string code)
    {
        var error = Assert.Throws<BillingException>(() => RedirectOrigins.Require(url, "cancel_url", Allowed));

        Assert.Equal((400, "cancel_url", code), (error.StatusCode, error.Field, error.Code));
    }

    [Fact]
    public void Require_NoOriginConfigured_RefusesAndSaysWhichSettingToSet()
    {
        var error = Assert.Throws<BillingException>(() => RedirectOrigins.Require("https://app.example.com/", "return_url", []));

        Assert.Contains("VaultAI:Billing:AllowedRedirectOrigins", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://app.example.com/billing")]
    [InlineData("app.example.com")]
    [InlineData("https://app.example.com?x=1")]
    [InlineData("ftp://files.example.com")]
    public void Validate_OriginWithPathOrWithoutScheme_FailsAtStartNamingTheKey(string origin)
    {
        var options = new VaultAIBillingOptions { AllowedRedirectOrigins = ["https://ok.example.com", origin] };
        options.Plans["basic"] = new BillingPlan { MonthlyPriceId = "price_1", MonthlyAmount = 4900 };

        var result = new VaultAIBillingOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var message = Assert.Single(result.Failures!, f => f.Contains("AllowedRedirectOrigins", StringComparison.Ordinal));
        Assert.Contains(origin, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_OriginsWithAndWithoutTrailingSlash_Pass()
    {
        var options = new VaultAIBillingOptions { AllowedRedirectOrigins = ["https://app.example.com", "http://localhost:5080/"] };
        options.Plans["basic"] = new BillingPlan { MonthlyPriceId = "price_1", MonthlyAmount = 4900 };

        Assert.Equal(ValidateOptionsResult.Success, new VaultAIBillingOptionsValidator().Validate(null, options));
    }
}
