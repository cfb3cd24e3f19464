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
}
