using System.Net;
using BillingHost.Admin;
using BillingHost.Commands;
using BillingHost.IntegrationTests.Support;
using BillingHost.Provisioning;
using Microsoft.Extensions.Configuration;
using VaultAI.Billing.Testing;

namespace BillingHost.IntegrationTests;

public class ProductionModeTests
{
    private const string SomePostgres = "Host=127.0.0.1;Port=5432;Database=billing;Username=billing;Password=not-used";

    private static readonly string ApiKey = AdminCredentials.NewApiKey();

    private static Task<Dictionary<string, string?>> ProductionSettingsAsync(StripeEmulator stripe, string connectionString) =>
        ProductionSettings.CreateAsync(stripe, connectionString, ApiKey);

    private static string StartFailure(HostFactory factory)
    {
        var exception = Record.Exception(() => factory.Server);
        Assert.NotNull(exception);
        var messages = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
            if (e is AggregateException aggregate)
            {
                messages.AddRange(aggregate.InnerExceptions.Select(i => i.Message));
            }
        }

        return string.Join("\n", messages);
    }

    [Fact]
    public async Task Start_StripeKeyWithoutConnectionString_FailsNamingTheConnectionString()
    {
        await using var factory = new HostFactory(new() { ["VaultAI:Billing:Stripe:ApiKey"] = "sk_test_" + Guid.NewGuid().ToString("N") });

        var message = StartFailure(factory);

        Assert.Contains("ConnectionStrings:Billing", message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(factory.DataPath, "billing.db")), "production mode never falls back to SQLite");
    }

    [Fact]
    public async Task Start_ConnectionStringWithoutStripeKey_FailsNamingTheStripeKey()
    {
        await using var factory = new HostFactory(new()
        {
            ["ConnectionStrings:Billing"] = SomePostgres,
            ["VaultAI:Host:AdminApiKeyHashes:0"] = AdminCredentials.HashApiKey(ApiKey),
        });

        var message = StartFailure(factory);

        Assert.Contains("VaultAI:Billing:Stripe:ApiKey", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("VaultAI:Billing:Plans:self-hosted:MonthlyPriceId", "prod_NotAPrice")]
    [InlineData("VaultAI:Billing:Plans:managed-cloud:YearlyPriceId", "price with spaces")]
    [InlineData("VaultAI:Billing:Webhooks:Secrets:0", "")]
    [InlineData("VaultAI:Billing:Stripe:ApiKey", "pk_test_publishable_key_is_not_secret")]
    [InlineData("VaultAI:Host:AdminApiKeyHashes:0", "")]
    [InlineData("ConnectionStrings:Billing", "Host=;;==")]
    public async Task Start_OneBadSetting_FailsNamingThatSetting(string key, string value)
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var settings = await ProductionSettingsAsync(stripe, SomePostgres);
        if (value.Length == 0)
        {
            settings.Remove(key);
        }
        else
        {
            settings[key] = value;
        }

        await using var factory = new HostFactory(settings);

        var message = StartFailure(factory);

        var expected = key.StartsWith("VaultAI:Host:AdminApiKeyHashes", StringComparison.Ordinal) ? "VaultAI:Host:Admins" : key;
        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_CompleteSettings_MigratesPostgresAtStartAndServes()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var settings = await ProductionSettingsAsync(stripe, await TestDatabase.CreateDatabaseAsync("billinghost"));
        settings["VaultAI:Host:MigrateAtStart"] = "true";
        await using var factory = new HostFactory(settings);
        using var client = factory.CreateClient();

        using var ready = await client.GetAsync("/health/ready");
        var token = await Instances.RegisterAsync(client, Guid.NewGuid());
        client.DefaultRequestHeaders.Add(AdminAuthentication.ApiKeyHeader, ApiKey);
        using var admin = await client.GetAsync("/api/admin/organizations");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.NotEmpty(token);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Contains("production", factory.Console.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("password", factory.Console.Text, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(factory.DataPath)) && File.Exists(Path.Combine(factory.DataPath, "billing.db")));
    }

    [Fact]
    public async Task MigrateCommand_Postgres_CreatesTheSchemaAHostWithoutMigrateAtStartUses()
    {
        var connectionString = await TestDatabase.CreateDatabaseAsync("billinghost");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Billing"] = connectionString }).Build();
        using var output = new StringWriter();

        var exit = await HostCommands.RunAsync(["migrate"], configuration, Path.GetTempPath(), output);

        Assert.True(exit == 0, output.ToString());
        Assert.Contains("PostgreSQL", output.ToString(), StringComparison.Ordinal);
        await using var stripe = await StripeEmulator.StartAsync();
        await using var factory = new HostFactory(await ProductionSettingsAsync(stripe, connectionString));
        using var client = factory.CreateClient();
        Assert.NotEmpty(await Instances.RegisterAsync(client, Guid.NewGuid()));
    }
}
