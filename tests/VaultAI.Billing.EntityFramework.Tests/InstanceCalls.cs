using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace VaultAI.Billing.EntityFramework.Tests;

/// <summary>What an instance sends, on the wire, as plain HTTP.</summary>
internal static class InstanceCalls
{
    public static async Task<string> RegisterAsync(HttpClient client, Guid organizationId, string name = "Acme Corp")
    {
        using var response = await client.PostAsync("/api/organizations/register", Json($$"""{"organization_id":"{{organizationId}}","organization_name":"{{name}}","instance_url":"acme.example.com"}"""));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("billing_token").GetString()!;
    }

    public static Task<HttpResponseMessage> ReportAsync(HttpClient client, string? token, Guid organizationId, long userCount, DateTimeOffset timestamp, string? idempotencyKey = null)
    {
        var body = $$"""{"organization_id":"{{organizationId}}","organization_name":"Acme Corp","instance_url":"acme.example.com","user_count":{{userCount}},"timestamp":"{{timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}}"}""";
        return SendAsync(client, HttpMethod.Post, "/api/usage-report", token, body, idempotencyKey);
    }

    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string? token, string? body, string? idempotencyKey = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, contentType);
        }

        return await client.SendAsync(request);
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(text);
        return json.RootElement.Clone();
    }

    public static async Task<HttpResponseMessage> LinkAsync(HttpClient admin, Guid organizationId, string email = "billing@acme.example", int trialDays = 4) =>
        await admin.PostAsync($"/api/admin/organizations/{organizationId}/link", Json($$"""{"admin_email":"{{email}}","deployment_type":"on-premise","plan_type":"self-hosted","trial_days":{{trialDays}}}"""));

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
