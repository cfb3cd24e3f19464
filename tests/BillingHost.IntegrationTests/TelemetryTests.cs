using System.Net;
using BillingHost.Admin;
using BillingHost.Hosting;
using BillingHost.IntegrationTests.Support;

namespace BillingHost.IntegrationTests;

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

    [Fact]
    public async Task Metrics_WithAMalformedAnonymousSetting_StopTheStartNamingIt()
    {
        await using var factory = new HostFactory(new() { [Telemetry.AnonymousMetricsSetting] = "maybe" });

        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains(Telemetry.AnonymousMetricsSetting, error.ToString(), StringComparison.Ordinal);
    }
}
