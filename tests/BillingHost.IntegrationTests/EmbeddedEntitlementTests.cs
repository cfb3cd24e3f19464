using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using BillingHost.IntegrationTests.Support;

namespace BillingHost.IntegrationTests;

/// <summary>The entitlement check in embedded mode, where the store is SQLite (it once answered 500 there).</summary>
public class EmbeddedEntitlementTests
{
    [Fact]
    public async Task EntitlementCheck_OnTheSqliteDemo_AnswersTheDecisionNotA500()
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();
        var id = Guid.NewGuid();
        var token = await Instances.RegisterAsync(client, id);
        using (var report = await Instances.ReportAsync(client, token, id, 12, DateTimeOffset.UtcNow.AddMinutes(-1)))
        {
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/organizations/{id}/entitlements/check")
        {
            Content = Instances.Json("""{"metric":"active_users","quantity":1}"""),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        Assert.True(json.RootElement.GetProperty("allowed").GetBoolean());
        Assert.Equal("active_users", json.RootElement.GetProperty("metric").GetString());
    }
}
