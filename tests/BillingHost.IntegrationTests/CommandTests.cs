using System.Security.Cryptography;
using System.Text;
using BillingHost.Admin;
using BillingHost.Commands;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using VaultAI.Billing.Testing;

namespace BillingHost.IntegrationTests;

public class CommandTests
{
    private static IConfiguration Settings(params (string Key, string? Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    private static async Task<(int Exit, string Output)> RunAsync(string[] args, IConfiguration configuration, string? input = null)
    {
        using var output = new StringWriter();
        var exit = await HostCommands.RunAsync(args, configuration, Path.GetTempPath(), output, new StringReader(input ?? ""));
        return (exit, output.ToString());
    }

    [Fact]
    public async Task SetupStripe_RunTwice_CreatesEverythingOnceAndPrintsTheSettings()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var configuration = Settings(("VaultAI:Billing:Stripe:ApiKey", stripe.ApiKey), ("VaultAI:Billing:Stripe:ApiBase", stripe.BaseAddress.ToString()));

        var first = await RunAsync(["setup-stripe"], configuration);
        var postsAfterFirst = stripe.Requests.Count(r => r.Method == "POST");
        var second = await RunAsync(["setup-stripe"], configuration);

        Assert.True(first.Exit == 0, first.Output);
        Assert.True(second.Exit == 0, second.Output);
        Assert.Contains("Created 7 object(s)", first.Output, StringComparison.Ordinal);
        Assert.Contains("Created 0 object(s)", second.Output, StringComparison.Ordinal);
        Assert.Equal(7, postsAfterFirst);
        Assert.Equal(postsAfterFirst, stripe.Requests.Count(r => r.Method == "POST"));
        Assert.Single(stripe.State.Meters);
        Assert.Equal(4, stripe.State.Prices.Count);
        Assert.All(stripe.Requests.Where(r => r.Method == "POST"), r => Assert.StartsWith("vaultai-setup:", r.IdempotencyKey, StringComparison.Ordinal));
        var monthly = stripe.State.Prices.Single(p => p.LookupKey == "vaultai_self_hosted_monthly").Id;
        Assert.Contains($"VaultAI__Billing__Plans__self-hosted__MonthlyPriceId={monthly}", second.Output, StringComparison.Ordinal);
        Assert.Contains($"\"MonthlyPriceId\": \"{monthly}\"", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetupStripe_SaasCatalogRunTwice_CreatesMetersProductsAndTieredPricesOnce()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var configuration = Settings(
            ("VaultAI:Billing:Stripe:ApiKey", stripe.ApiKey),
            ("VaultAI:Billing:Stripe:ApiBase", stripe.BaseAddress.ToString()),
            ("VaultAI:Host:Catalog", "saas"));

        var first = await RunAsync(["setup-stripe"], configuration);
        var postsAfterFirst = stripe.Requests.Count(r => r.Method == "POST");
        var second = await RunAsync(["setup-stripe"], configuration);

        Assert.True(first.Exit == 0, first.Output);
        Assert.True(second.Exit == 0, second.Output);
        Assert.Contains("Created 0 object(s)", second.Output, StringComparison.Ordinal);
        Assert.Equal(postsAfterFirst, stripe.Requests.Count(r => r.Method == "POST"));
        Assert.Equal(
            ["bandwidth_gb", "call_minutes", "compute_hours", "memory_gb_hours", "storage_gb"],
            stripe.State.Meters.Select(m => m.EventName).Order(StringComparer.Ordinal).ToArray());

        // Vapi B: 1,000 included minutes free, then 0.05 USD a minute, in hundredths of a minute (Decimals 2).
        var minutes = stripe.State.Prices.Single(p => p.LookupKey == "vaultai_vapi_included_call_minutes_monthly");
        Assert.Equal("metered", minutes.UsageType);
        var minutesJson = System.Text.Json.JsonDocument.Parse(await GetAsync(stripe, $"/v1/prices/{minutes.Id}")).RootElement;
        Assert.Equal("tiered", minutesJson.GetProperty("billing_scheme").GetString());
        Assert.Equal(100_000, minutesJson.GetProperty("tiers")[0].GetProperty("up_to").GetInt64());
        Assert.Equal("0", minutesJson.GetProperty("tiers")[0].GetProperty("unit_amount_decimal").GetString());
        Assert.Equal("0.05", minutesJson.GetProperty("tiers")[1].GetProperty("unit_amount_decimal").GetString());

        // VantFlow Pro: 29 USD a month or 290 a year, licensed; the free Helvetia plan has nothing in Stripe.
        Assert.Equal(2900m, stripe.State.Prices.Single(p => p.LookupKey == "vaultai_vantflow_pro_monthly").UnitAmountDecimal);
        Assert.Equal("year", stripe.State.Prices.Single(p => p.LookupKey == "vaultai_vantflow_pro_yearly").Interval);
        Assert.DoesNotContain(stripe.State.Prices, p => p.LookupKey?.StartsWith("vaultai_helvetia_free", StringComparison.Ordinal) == true);
        Assert.Contains("Plan helvetia-free: free", second.Output, StringComparison.Ordinal);
        Assert.Contains($"VaultAI__Billing__Plans__vapi-included__Metrics__call_minutes__OveragePriceId={minutes.Id}", second.Output, StringComparison.Ordinal);
        Assert.Contains("VaultAI__Billing__Plans__vantflow-pro__TrialDays=14", second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetupStripe_UnknownCatalog_FailsNamingTheSetting()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var (exit, output) = await RunAsync(["setup-stripe"], Settings(("VaultAI:Billing:Stripe:ApiKey", stripe.ApiKey), ("VaultAI:Billing:Stripe:ApiBase", stripe.BaseAddress.ToString()), ("VaultAI:Host:Catalog", "nope")));

        Assert.Equal(1, exit);
        Assert.Contains("VaultAI:Host:Catalog", output, StringComparison.Ordinal);
        Assert.Empty(stripe.State.Prices);
    }

    private static async Task<string> GetAsync(StripeEmulator stripe, string path)
    {
        using var http = new HttpClient { BaseAddress = stripe.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", stripe.ApiKey);
        return await http.GetStringAsync(path);
    }

    [Fact]
    public async Task SetupStripe_WithoutApiKey_FailsNamingTheKey()
    {
        var (exit, output) = await RunAsync(["setup-stripe"], Settings());

        Assert.Equal(1, exit);
        Assert.Contains("VaultAI:Billing:Stripe:ApiKey", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HashPassword_PasswordOnStandardInput_PrintsAHashThatVerifies()
    {
        var (exit, output) = await RunAsync(["hash-password", "--user", "alice"], Settings(), "correct horse battery staple\n");

        Assert.Equal(0, exit);
        var hash = output.Split('\n')[0].Trim();
        Assert.NotEqual(PasswordVerificationResult.Failed, new PasswordHasher<AdminUser>().VerifyHashedPassword(new AdminUser("alice"), hash, "correct horse battery staple"));
        Assert.Contains($"VaultAI__Host__Admins__alice__PasswordHash={hash}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HashPassword_ShortPassword_IsRefused()
    {
        var (exit, output) = await RunAsync(["hash-password"], Settings(), "short\n");

        Assert.Equal(1, exit);
        Assert.Contains("at least 12 characters", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GenerateApiKey_PrintsAKeyAndTheHashToConfigure()
    {
        var (exit, output) = await RunAsync(["generate-api-key"], Settings());

        Assert.Equal(0, exit);
        var key = output.Split(": ")[1].Split('\n')[0].Trim();
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        Assert.Contains($"VaultAI__Host__AdminApiKeyHashes__0={hash}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownCommand_PrintsUsage()
    {
        var (exit, output) = await RunAsync(["frobnicate"], Settings());

        Assert.Equal(2, exit);
        Assert.Contains("setup-stripe", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_PrintsTheCommands()
    {
        var (exit, output) = await RunAsync(["help"], Settings());

        Assert.Equal(0, exit);
        Assert.Contains("replay-webhooks", output, StringComparison.Ordinal);
        Assert.True(HostCommands.IsHelp(["--help"]));
    }

    [Fact]
    public async Task ReplayWebhooks_BadSince_IsAUsageErrorNamingTheOption()
    {
        var (exit, output) = await RunAsync(["replay-webhooks", "--since", "yesterday"], Settings());

        Assert.Equal(2, exit);
        Assert.StartsWith("error: --since 'yesterday'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_DatabaseUnreachable_IsOneLine()
    {
        var (exit, output) = await RunAsync(["migrate"], Settings(("ConnectionStrings:Billing", "Host=127.0.0.1;Port=1;Database=billing;Username=billing;Password=hidden-secret")));

        Assert.Equal(1, exit);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: The billing database is unreachable", output, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:Billing", output, StringComparison.Ordinal);
        Assert.DoesNotContain("hidden-secret", output, StringComparison.Ordinal);
    }
}
