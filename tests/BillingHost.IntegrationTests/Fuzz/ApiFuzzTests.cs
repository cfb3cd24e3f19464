using BillingHost.Admin;
using BillingHost.IntegrationTests.Support;
using VaultAI.Billing;
using VaultAI.Billing.Testing;
using Xunit.Abstractions;

namespace BillingHost.IntegrationTests.Fuzz;

/// <summary>
/// Issue 11: a bounded, deterministic fuzz of every JSON route of the instance and admin APIs, against the real host in
/// production mode on PostgreSQL (the Stripe emulator standing in for Stripe). The seed is fixed, so a failure
/// reproduces; the failure message lists each case with its route, path and what was mutated.
/// </summary>
public class ApiFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20261129;

    [Fact]
    public async Task AllJsonRoutes_GeneratedHostileRequests_NeverFailServerSideAndRefuseWithoutWriting()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var connectionString = await TestDatabase.CreateDatabaseAsync("billinghost_fuzz");
        var adminApiKey = AdminCredentials.NewApiKey();
        var settings = await ProductionSettings.CreateAsync(stripe, connectionString, adminApiKey);
        settings["VaultAI:Host:MigrateAtStart"] = "true";
        // The limiter stays on (its code path is fuzzed too) but far above what the run sends.
        settings["VaultAI:Host:InstanceRequestsPerMinute"] = "100000";
        settings["VaultAI:Host:UnauthenticatedRequestsPerMinute"] = "100000";
        await using var factory = new HostFactory(settings);
        using var client = factory.CreateClient();
        var organizationId = Guid.NewGuid();
        var otherOrganizationId = Guid.NewGuid();
        var token = await Instances.RegisterAsync(client, organizationId);
        await Instances.RegisterAsync(client, otherOrganizationId, "Other Corp", "other.example.com");

        var routes = FuzzRoutes.All(organizationId.ToString());
        var kinds = routes.SelectMany(r => r.Body).GroupBy(f => f.Name).ToDictionary(g => g.Key, g => g.First().Kind);
        var generator = new FuzzCaseGenerator(new Random(Seed), new FuzzTargets(organizationId, token, otherOrganizationId, kinds), new VaultAIBillingOptions().MaxRequestBodyBytes);
        var cases = routes.SelectMany(generator.For).ToList();
        var fuzzer = new ApiFuzzer(client, connectionString, AdminAuthentication.ApiKeyHeader, adminApiKey);

        var report = await fuzzer.RunAsync(cases);

        output.WriteLine($"{report.Cases} cases in {report.Elapsed.TotalSeconds:F1} s; answers: {string.Join(", ", report.ByStatus.Select(s => $"{s.Key}x{s.Value}"))}");
        Assert.True(report.Failures.Count == 0, $"{report.Failures.Count} of {report.Cases} cases broke a rule:\n" + string.Join("\n", report.Failures.Take(40)));
        Assert.True(report.Cases >= 3_000, $"the suite sends a few thousand cases ({report.Cases})");
        Assert.True(report.ByStatus.Keys.Any(s => s is >= 200 and < 300), "some mutations are still valid requests, so the valid paths run too");
    }
}
