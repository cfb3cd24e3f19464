using System.Net;
using BillingHost.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaultAI.Billing;

namespace BillingHost.IntegrationTests;

public class EmbeddedModeTests
{
    [Fact]
    public async Task Start_WithoutConfiguration_ServesHealthAndUsesSqliteInTheDataFolder()
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();

        using var live = await client.GetAsync("/health/live");
        using var ready = await client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.True(File.Exists(Path.Combine(factory.DataPath, "billing.db")), "the SQLite database is created in the data folder");
    }

    [Fact]
    public async Task Start_WithoutConfiguration_PrintsBannerWithModeDatabaseEmulatorAndPasswordOnce()
    {
        await using var factory = new HostFactory();
        _ = factory.Server;

        var banner = factory.Console.Text;
        Assert.Contains("embedded", banner, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(factory.DataPath, "billing.db"), banner, StringComparison.Ordinal);
        Assert.Contains(factory.Stripe.BaseAddress.ToString(), banner, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings__Billing", banner, StringComparison.Ordinal);
        Assert.Contains("VaultAI__Billing__Stripe__ApiKey", banner, StringComparison.Ordinal);
        var password = factory.BannerPassword();
        Assert.True(password.Length >= 20, password);
        Assert.Single(banner.Split('\n'), line => line.Contains(password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_WithoutConfiguration_ProvisionsPlansInTheEmulatorAndConfiguresTheCatalog()
    {
        await using var factory = new HostFactory();
        _ = factory.Server;

        var stripe = factory.Stripe;
        var meter = Assert.Single(stripe.State.Meters);
        Assert.Equal("vaultai_active_users", meter.EventName);
        Assert.Equal("last", meter.Formula);
        var lookupKeys = stripe.State.Prices.Select(p => p.LookupKey ?? "").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["vaultai_managed_cloud_monthly", "vaultai_managed_cloud_yearly", "vaultai_self_hosted_monthly", "vaultai_self_hosted_yearly"], lookupKeys);
        Assert.All(stripe.State.Prices, p => Assert.Equal("metered", p.UsageType));

        var plans = factory.Services.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value.Plans;
        Assert.Equal(["managed-cloud", "self-hosted"], plans.Keys.Order(StringComparer.Ordinal).ToArray());
        var selfHosted = plans["self-hosted"];
        Assert.Equal(stripe.State.Prices.Single(p => p.LookupKey == "vaultai_self_hosted_monthly").Id, selfHosted.MonthlyPriceId);
        Assert.Equal(stripe.State.Prices.Single(p => p.LookupKey == "vaultai_self_hosted_yearly").Id, selfHosted.YearlyPriceId);
        Assert.Equal("vaultai_active_users", Assert.Single(selfHosted.Metered).MeterEventName);
        Assert.True(selfHosted.MonthlyUnitAmount > 0);
    }

    [Fact]
    public async Task Start_WithSaasCatalog_ProvisionsEverySeedPlanInTheEmulator()
    {
        await using var factory = new HostFactory(new() { ["VaultAI:Host:Catalog"] = "saas" });
        _ = factory.Server;

        var options = factory.Services.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value;
        Assert.Equal(
            ["helvetia-enterprise", "helvetia-free", "helvetia-pro", "helvetia-starter", "vantflow-business", "vantflow-pro", "vapi-fixed", "vapi-included"],
            options.Plans.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.True(options.Plans["helvetia-free"].IsFree);
        Assert.Equal(factory.Stripe.State.Prices.Single(p => p.LookupKey == "vaultai_vantflow_pro_yearly").Id, options.Plans["vantflow-pro"].YearlyPriceId);
        Assert.Equal(14, options.Plans["vantflow-business"].TrialDays);
        Assert.StartsWith("price_", options.Plans["vapi-included"].Metrics["call_minutes"].OveragePriceId, StringComparison.Ordinal);
        Assert.Equal(-1m, options.Plans["helvetia-enterprise"].Metrics["storage_gb"].Limit);
        Assert.Contains("saas", factory.Console.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithConfiguredAdmin_GeneratesNoPassword()
    {
        await using var factory = new HostFactory(new()
        {
            ["VaultAI:Host:Admins:alice:PasswordHash"] = BillingHost.Admin.AdminCredentials.HashPassword("alice", "correct horse battery staple"),
        });
        _ = factory.Server;

        Assert.DoesNotContain("password ", factory.Console.Text, StringComparison.Ordinal);
        Assert.Contains("VaultAI:Host:Admins", factory.Console.Text, StringComparison.Ordinal);
    }
}
