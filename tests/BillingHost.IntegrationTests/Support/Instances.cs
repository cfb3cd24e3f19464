using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace BillingHost.IntegrationTests.Support;

/// <summary>What a VaultAI instance sends, as plain HTTP.</summary>
internal static class Instances
{
    public static async Task<string> RegisterAsync(HttpClient client, Guid organizationId, string name = "Acme Corp", string url = "acme.example.com")
    {
        using var response = await client.PostAsync("/api/organizations/register", Json($$"""{"organization_id":"{{organizationId}}","organization_name":"{{name}}","instance_url":"{{url}}"}"""));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("billing_token").GetString()!;
    }

    public static async Task<HttpResponseMessage> ReportAsync(HttpClient client, string token, Guid organizationId, long userCount, DateTimeOffset timestamp, string name = "Acme Corp", string url = "acme.example.com")
    {
        var body = $$"""{"organization_id":"{{organizationId}}","organization_name":"{{name}}","instance_url":"{{url}}","user_count":{{userCount}},"timestamp":"{{timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}}"}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/usage-report") { Content = Json(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
