using System.Globalization;
using System.Text.Json;
using BillingHost.Admin;
using BillingHost.Commands;
using BillingHost.IntegrationTests.Support;
using Microsoft.Extensions.Configuration;

namespace BillingHost.IntegrationTests;

/// <summary><c>seed-demo</c> leaves an MRR history that is not empty: today's figures, computed from what it created.</summary>
public sealed class SeedDemoRevenueTests : IDisposable
{
    private const string ApiKey = "seed-demo-revenue-test-admin-key-0123456789";

    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "billinghost-tests", "seed-revenue-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataPath, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; the temp folder is cleaned by the OS.
        }
    }

    [Fact]
    public async Task SeedDemo_RecordsTodaysMrrFromTheOrganizationsItLinked()
    {
        var settings = new Dictionary<string, string?>
        {
            ["VaultAI:Host:DataPath"] = _dataPath,
            ["VaultAI:Host:Catalog"] = "saas",
            ["VaultAI:Host:AdminApiKeyHashes:0"] = AdminCredentials.HashApiKey(ApiKey),
            ["VaultAI:Billing:Dispatcher:Enabled"] = "false",
        };
        using var output = new StringWriter();
        var exit = await HostCommands.RunAsync(["seed-demo"], new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), Path.GetTempPath(), output);
        Assert.True(exit == 0, output.ToString());
        Assert.Contains("MRR recorded for today:", output.ToString(), StringComparison.Ordinal);

        await using var host = new HostFactory(settings);
        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Add(AdminAuthentication.ApiKeyHeader, ApiKey);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        using var history = JsonDocument.Parse(await client.GetStringAsync($"/api/admin/revenue/history?from={today}&to={today}"));
        using var revenue = JsonDocument.Parse(await client.GetStringAsync("/api/admin/revenue"));

        // The recorded day holds the figures the revenue route computes from the same organizations (nothing invented):
        // the trialing demo organization counts as potential MRR, the active ones as MRR.
        var snapshots = history.RootElement.GetProperty("snapshots").EnumerateArray().ToList();
        Assert.NotEmpty(snapshots);
        foreach (var total in revenue.RootElement.GetProperty("totals").EnumerateArray())
        {
            var snapshot = snapshots.Single(s => s.GetProperty("currency").GetString() == total.GetProperty("currency").GetString());
            Assert.Equal(total.GetProperty("mrr").GetInt64(), snapshot.GetProperty("mrr").GetInt64());
            Assert.Equal(total.GetProperty("potential_mrr").GetInt64(), snapshot.GetProperty("potential_mrr").GetInt64());
        }

        Assert.Contains(snapshots, s => s.GetProperty("mrr").GetInt64() > 0);
        Assert.Equal(1, snapshots.Sum(s => s.GetProperty("trialing_organizations").GetInt32()));
        Assert.Equal(SeedDemoCommand.Organizations.Count, revenue.RootElement.GetProperty("plans").EnumerateArray().Sum(p => p.GetProperty("organizations").GetInt32() + p.GetProperty("trial_organizations").GetInt32()) + 1);
    }
}
