using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using BillingHost.IntegrationTests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace BillingHost.IntegrationTests.Metering;

/// <summary>A newcomer adds a metric to the sample host with environment variables only, then posts and reads it.</summary>
public class EnvironmentMetricTests
{
    [Fact]
    public async Task SecondMetric_ConfiguredWithEnvironmentVariablesOnly_IsPostedValidatedAndReported()
    {
        // The variables exactly as a newcomer exports them, read by .NET's environment variable provider (under a prefix
        // private to this test so that no other host in this process sees them); the keys it yields are the host's settings.
        var prefix = $"BILLINGHOST_TEST_{Guid.NewGuid():N}_";
        Environment.SetEnvironmentVariable(prefix + "VaultAI__Billing__Metrics__storage_gb__Aggregation", "Max");
        Environment.SetEnvironmentVariable(prefix + "VaultAI__Billing__Metrics__storage_gb__Decimals", "3");
        Environment.SetEnvironmentVariable(prefix + "VaultAI__Billing__Metrics__storage_gb__Unit", "GB");
        var settings = new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build()
            .AsEnumerable().Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(3, settings.Count);

        await using var factory = new HostFactory(settings);
        using var client = factory.CreateClient();
        var org = Guid.NewGuid();
        var token = await Instances.RegisterAsync(client, org);
        var now = factory.Services.GetRequiredService<TimeProvider>().GetUtcNow();

        using var accepted = await PostAsync(client, token, Batch(("disk-1", "1.234", now.AddMinutes(-2)), ("disk-2", "2.5", now.AddMinutes(-1)), ("disk-3", "0.001", now)));
        using var tooPrecise = await PostAsync(client, token, Batch(("disk-4", "1.2345", now)));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/organizations/{org}/usage");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var usage = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(3, (await JsonAsync(accepted)).GetProperty("accepted").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, tooPrecise.StatusCode);
        var problem = await JsonAsync(tooPrecise);
        Assert.Equal("events[0].quantity", problem.GetProperty("field").GetString());
        Assert.Equal("too_many_decimals", problem.GetProperty("code").GetString());
        var storage = (await JsonAsync(usage)).GetProperty("usage").EnumerateArray().Single(u => u.GetProperty("metric").GetString() == "storage_gb");
        Assert.Equal(2.5m, storage.GetProperty("current").GetDecimal());
        Assert.Equal("GB", storage.GetProperty("unit").GetString());
    }

    private static string Batch(params (string Id, string Quantity, DateTimeOffset At)[] events) =>
        $$"""{"events":[{{string.Join(",", events.Select(e => $$"""{"id":"{{e.Id}}","metric":"storage_gb","quantity":{{e.Quantity}},"timestamp":"{{e.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)}}"}"""))}}]}""";

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string token, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/usage-events") { Content = Instances.Json(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.Clone();
    }
}
