using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using BillingHost.Admin;
using BillingHost.Hosting;
using BillingHost.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace BillingHost.IntegrationTests;

/// <summary>
/// Alone: OpenTelemetry listens to every meter named <c>VaultAI.Billing</c> in the process, so a scrape would also show
/// the gauges of hosts other tests run at the same time (in production one host is one process).
/// </summary>
[Collection(TelemetryCollection.Name)]
public class TelemetryTests
{
    private static readonly string ApiKey = AdminCredentials.NewApiKey();

    [Fact]
    public async Task Metrics_AfterAUsageReport_ExposeTheBillingMeterToAdminsOnly()
    {
        await using var factory = new HostFactory(new() { ["VaultAI:Host:AdminApiKeyHashes:0"] = AdminCredentials.HashApiKey(ApiKey) });
        using var client = factory.CreateClient();
        var organizationId = Guid.NewGuid();
        var token = await Instances.RegisterAsync(client, organizationId);
        using (var report = await Instances.ReportAsync(client, token, organizationId, 12, DateTimeOffset.UtcNow))
        {
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        }

        // Outside /api the admin sign-in answers a stranger with the way to the login page, never the metrics.
        using var stranger = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var anonymous = await stranger.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Contains("/Login", anonymous.Headers.Location?.ToString(), StringComparison.OrdinalIgnoreCase);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Add(AdminAuthentication.ApiKeyHeader, ApiKey);
        using var scrape = await client.SendAsync(request);
        var text = await scrape.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Contains("vaultai_billing_usage_reports", text, StringComparison.Ordinal);
        Assert.Contains("outcome=\"accepted\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(token, text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SQLite")]
    [InlineData("PostgreSQL")]
    public async Task Metrics_WithTheDispatcherOff_ShowHowLongTheOldestPendingMeterEventHasWaited(string database)
    {
        // The host's clock, so that the age is known exactly: the report's meter event is written now, the scrape comes later.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var stripe = await VaultAI.Billing.Testing.StripeEmulator.StartAsync();
        var settings = database == "SQLite"
            ? new Dictionary<string, string?> { ["VaultAI:Host:AdminApiKeyHashes:0"] = AdminCredentials.HashApiKey(ApiKey) }
            : await ProductionSettings.CreateAsync(stripe, await TestDatabase.CreateDatabaseAsync("billinghost"), ApiKey);
        settings["VaultAI:Host:MigrateAtStart"] = "true";
        await using var factory = new HostFactory(settings, dispatcher: false)
        {
            ConfigureTestServices = services => services.AddSingleton<TimeProvider>(clock),
        };
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add(AdminAuthentication.ApiKeyHeader, ApiKey);
        var organizationId = Guid.NewGuid();
        var token = await Instances.RegisterAsync(client, organizationId);
        Assert.Equal(0, await ScrapeUntilAsync(client, "vaultai_billing_outbox_age_seconds", value => value is not null));

        using (var link = await client.PostAsJsonAsync($"/api/admin/organizations/{organizationId}/link", new
        {
            admin_email = "billing@acme.example",
            deployment_type = "on-premise",
            plan_type = "self-hosted",
            trial_days = 14,
        }))
        {
            Assert.True(link.IsSuccessStatusCode, await link.Content.ReadAsStringAsync());
        }

        using (var report = await Instances.ReportAsync(client, token, organizationId, 12, clock.GetUtcNow().AddMinutes(-1)))
        {
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        }

        clock.Advance(TimeSpan.FromSeconds(90));

        // The store is read at most every 5 s and a scrape waits for that read only so long: on a busy machine the first
        // scrapes after the clock moved may still show the previous read.
        var age = await ScrapeUntilAsync(client, "vaultai_billing_outbox_age_seconds", value => value > 0);
        Assert.NotNull(age);
        Assert.Equal(90, age.Value, precision: 3);
        Assert.NotNull(await ScrapeGaugeAsync(client, "vaultai_billing_event_deliveries_age_seconds"));
    }

    private static async Task<double?> ScrapeUntilAsync(HttpClient admin, string name, Func<double?, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var value = await ScrapeGaugeAsync(admin, name);
        while (!condition(value) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            value = await ScrapeGaugeAsync(admin, name);
        }

        return value;
    }

    /// <summary>The value of a gauge in a <c>/metrics</c> scrape, or <see langword="null"/> when it is not exposed.</summary>
    private static async Task<double?> ScrapeGaugeAsync(HttpClient admin, string name)
    {
        var text = await admin.GetStringAsync("/metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal));
        return line is null ? null : double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Metrics_WithAMalformedAnonymousSetting_StopTheStartNamingIt()
    {
        await using var factory = new HostFactory(new() { [Telemetry.AnonymousMetricsSetting] = "maybe" });

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains(Telemetry.AnonymousMetricsSetting, error.ToString(), StringComparison.Ordinal);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry";
}
