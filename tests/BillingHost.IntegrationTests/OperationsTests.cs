using System.Net;
using System.Text.Json;
using BillingHost.IntegrationTests.Support;

namespace BillingHost.IntegrationTests;

public class OperationsTests
{
    [Fact]
    public async Task Register_OverThePerAddressLimit_Answers429ProblemWithRetryAfter()
    {
        await using var factory = new HostFactory(new() { ["VaultAI:Host:UnauthenticatedRequestsPerMinute"] = "2" });
        using var client = factory.CreateClient();
        await Instances.RegisterAsync(client, Guid.NewGuid());
        await Instances.RegisterAsync(client, Guid.NewGuid());

        using var limited = await client.PostAsync("/api/organizations/register", Instances.Json($$"""{"organization_id":"{{Guid.NewGuid()}}","organization_name":"Third"}"""));

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After tells when to come back");
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        using (var problem = JsonDocument.Parse(await limited.Content.ReadAsStringAsync()))
        {
            Assert.Equal("rate_limited", problem.RootElement.GetProperty("code").GetString());
        }

        using var live = await client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task InstanceRoutes_EachOrganizationHasItsOwnLimit()
    {
        await using var factory = new HostFactory(new() { ["VaultAI:Host:InstanceRequestsPerMinute"] = "2" });
        using var client = factory.CreateClient();
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();
        var firstToken = await Instances.RegisterAsync(client, first);
        var secondToken = await Instances.RegisterAsync(client, second);

        using var a1 = await Instances.ReportAsync(client, firstToken, first, 1, DateTimeOffset.UtcNow);
        using var a2 = await Instances.ReportAsync(client, firstToken, first, 2, DateTimeOffset.UtcNow);
        using var a3 = await Instances.ReportAsync(client, firstToken, first, 3, DateTimeOffset.UtcNow);
        using var b1 = await Instances.ReportAsync(client, secondToken, second, 1, DateTimeOffset.UtcNow);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.OK], new[] { a1.StatusCode, a2.StatusCode, a3.StatusCode, b1.StatusCode });
    }

    [Fact]
    public async Task OpenApi_Document_DescribesInstanceAndAdminRoutes()
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();

        using var json = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));

        var paths = json.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/organizations/register", paths);
        Assert.Contains("/api/usage-report", paths);
        Assert.Contains("/api/admin/organizations", paths);
        Assert.Contains("/api/admin/organizations/{organizationId}/link", paths);
        Assert.DoesNotContain(paths, p => p.StartsWith("/login", StringComparison.Ordinal));
    }
}
