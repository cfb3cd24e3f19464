using System.Globalization;
using System.Net;
using System.Text.Json;
using BillingHost.Admin;
using BillingHost.Commands;
using BillingHost.IntegrationTests.Support;
using Microsoft.Extensions.Configuration;

namespace BillingHost.IntegrationTests;

/// <summary><c>seed-demo</c> on the embedded demo: organizations and usage through the real paths, once, and today's MRR computed from them.</summary>
public sealed class SeedDemoTests : IDisposable
{
    private const string ApiKey = "seed-demo-test-admin-key-0123456789abcdef";

    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "billinghost-tests", "seed-" + Guid.NewGuid().ToString("N"));

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

    private async Task<(int Exit, string Output)> SeedAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["VaultAI:Host:DataPath"] = _dataPath,
            ["VaultAI:Host:Catalog"] = "saas",
            ["VaultAI:Host:AdminApiKeyHashes:0"] = AdminCredentials.HashApiKey(ApiKey),
            ["VaultAI:Billing:Dispatcher:Enabled"] = "false",
        }).Build();
        using var output = new StringWriter();
        var exit = await HostCommands.RunAsync(["seed-demo"], configuration, Path.GetTempPath(), output);
        return (exit, output.ToString());
    }

    [Fact]
    public async Task SeedDemo_RunTwice_CreatesPendingFreeTrialingAndActiveOrganizationsWithThreeWeeksOfUsageOnce()
    {
        var first = await SeedAsync();
        var second = await SeedAsync();

        Assert.True(first.Exit == 0, first.Output);
        Assert.Contains("Seeded 5 organizations on the saas catalog", first.Output, StringComparison.Ordinal);
        Assert.True(second.Exit == 0, second.Output);
        Assert.Equal("The demo is already seeded; nothing was changed.", second.Output.Trim());

        await using var host = new HostFactory(new()
        {
            ["VaultAI:Host:DataPath"] = _dataPath,
            ["VaultAI:Host:Catalog"] = "saas",
            ["VaultAI:Host:AdminApiKeyHashes:0"] = AdminCredentials.HashApiKey(ApiKey),
        });
        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Add(AdminAuthentication.ApiKeyHeader, ApiKey);

        var expected = new Dictionary<string, (string Status, bool Linked)>
        {
            ["Aurora Pending Ltd"] = ("pending", false),
            ["Birch Free Co"] = ("active", true),
            ["Cobalt Trial GmbH"] = ("trial", true),
            ["Delta Active SA"] = ("active", true),
            ["Ember Active Inc"] = ("active", true),
        };
        foreach (var organization in SeedDemoCommand.Organizations)
        {
            using var detail = JsonDocument.Parse(await GetAsync(client, $"/api/admin/organizations/{organization.Id}"));
            var view = detail.RootElement.GetProperty("organization");
            Assert.Equal(organization.Name, view.GetProperty("name").GetString());
            Assert.Equal(expected[organization.Name].Status, view.GetProperty("subscription_status").GetString());
            Assert.Equal(expected[organization.Name].Linked, view.GetProperty("stripe_customer_id").ValueKind == JsonValueKind.String);

            // One user report per day for three weeks, none counted twice by the second run, the oldest inside the window.
            var reports = detail.RootElement.GetProperty("recent_reports").EnumerateArray().ToList();
            Assert.Equal(SeedDemoCommand.Days, reports.Count);
            Assert.All(reports, r => Assert.InRange(r.GetProperty("occurred_at").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddDays(-SeedDemoCommand.Days - 1), DateTimeOffset.UtcNow));
        }

        Assert.Equal(3, host.Stripe.State.Subscriptions.Count);

        // The catalog's other metrics were recorded too: this month's storage of the pending organization (a Last metric)
        // is its latest daily value, unless the month began less than an hour ago (then nothing of it is in this month).
        using var usage = JsonDocument.Parse(await GetAsync(client, $"/api/admin/organizations/{SeedDemoCommand.Organizations[0].Id}/usage"));
        var metrics = usage.RootElement.GetProperty("usage").EnumerateArray().ToDictionary(m => m.GetProperty("metric").GetString()!, m => m.GetProperty("current").GetDecimal());
        Assert.Contains("call_minutes", metrics.Keys);
        var now = DateTimeOffset.UtcNow;
        if (now.Day > 1 || now.Hour > 1)
        {
            Assert.True(metrics["call_minutes"] > 0, usage.RootElement.ToString());
            Assert.True(metrics["storage_gb"] > 0, usage.RootElement.ToString());
        }
    }

    [Fact]
    public async Task SeedDemo_RecordsTodaysMrrFromTheOrganizationsItLinked()
    {
        var (exit, output) = await SeedAsync();
        Assert.True(exit == 0, output);
        Assert.Contains("MRR recorded for today:", output, StringComparison.Ordinal);

        await using var host = new HostFactory(new()
        {
            ["VaultAI:Host:DataPath"] = _dataPath,
            ["VaultAI:Host:Catalog"] = "saas",
            ["VaultAI:Host:AdminApiKeyHashes:0"] = AdminCredentials.HashApiKey(ApiKey),
            ["VaultAI:Billing:Dispatcher:Enabled"] = "false",
        });
        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Add(AdminAuthentication.ApiKeyHeader, ApiKey);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        using var history = JsonDocument.Parse(await GetAsync(client, $"/api/admin/revenue/history?from={today}&to={today}"));
        using var revenue = JsonDocument.Parse(await GetAsync(client, "/api/admin/revenue"));

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

    [Fact]
    public async Task SeedDemo_InProductionMode_RefusesInOneLineAndWritesNothing()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Billing"] = "Host=127.0.0.1;Port=1;Database=none",
            ["VaultAI:Host:DataPath"] = _dataPath,
        }).Build();
        using var output = new StringWriter();

        var exit = await HostCommands.RunAsync(["seed-demo"], configuration, Path.GetTempPath(), output);

        Assert.Equal(1, exit);
        var line = Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: seed-demo fills the embedded demo only", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dataPath));
    }

    private static async Task<string> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        return body;
    }
}
