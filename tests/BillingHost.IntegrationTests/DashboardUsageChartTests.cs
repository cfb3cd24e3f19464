using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using BillingHost.IntegrationTests.Support;

namespace BillingHost.IntegrationTests;

/// <summary>Usage per metric on the organization page: one SVG chart per metric, labelled axes, the plan's limit drawn.</summary>
public class DashboardUsageChartTests
{
    [Fact]
    public async Task Details_DrawsOneChartPerMetric_WithDatesQuantityUnitTicksAndThePlansLimit()
    {
        await using var factory = new HostFactory(new() { ["VaultAI:Host:Catalog"] = "saas" });
        using var client = factory.CreateClient();
        var id = Guid.NewGuid();
        var token = await Instances.RegisterAsync(client, id, "Chart SA");
        using var admin = await Html.SignInAsync(factory);
        using (var link = await Html.SubmitAsync(admin, $"/organizations/{id}/link", $"/organizations/{id}/link", new Dictionary<string, string>
        {
            ["Input.AdminEmail"] = "billing@chart.example",
            ["Input.DeploymentType"] = "managed-cloud",
            ["Input.PlanKey"] = "helvetia-starter",
            ["Input.BillingInterval"] = "monthly",
            ["Input.TrialDays"] = "0",
        }))
        {
            Assert.Equal(HttpStatusCode.Redirect, link.StatusCode);
        }

        // Storage (a Last metric, limit 50 GB on Helvetia Starter) on four days; compute hours (no limit) on two.
        var now = DateTimeOffset.UtcNow;
        string Event(string key, string metric, decimal quantity, int daysAgo) =>
            $$"""{"id":"{{key}}","metric":"{{metric}}","quantity":{{quantity.ToString(CultureInfo.InvariantCulture)}},"timestamp":"{{now.AddDays(-daysAgo).AddMinutes(-1).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}}"}""";
        var events = string.Join(',', Event("s3", "storage_gb", 12.5m, 3), Event("s2", "storage_gb", 20m, 2), Event("s1", "storage_gb", 31.25m, 1), Event("s0", "storage_gb", 30m, 0),
            Event("c1", "compute_hours", 4m, 1), Event("c0", "compute_hours", 6m, 0));
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/usage-events") { Content = Instances.Json($$"""{"events":[{{events}}]}""") })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var recorded = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, recorded.StatusCode);
        }

        var html = await admin.GetStringAsync($"/organizations/{id}");

        var storage = Svg(html, "chart-storage_gb");
        Assert.Equal(4, Regex.Count(storage, "class=\"usage-point\""));
        Assert.True(Regex.Count(storage, "class=\"x-tick\"") >= 3, storage);
        Assert.True(Regex.Count(storage, "class=\"y-tick\"") >= 3, storage);
        Assert.Contains(">GB</text>", storage, StringComparison.Ordinal);
        Assert.Contains(">date (UTC)</text>", storage, StringComparison.Ordinal);
        Assert.Contains(">" + now.AddDays(-3).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "</text>", storage, StringComparison.Ordinal);
        Assert.Contains("class=\"limit-line\"", storage, StringComparison.Ordinal);
        Assert.Contains("data-limit=\"50\"", storage, StringComparison.Ordinal);
        Assert.Contains("limit 50 GB", storage, StringComparison.Ordinal);

        var compute = Svg(html, "chart-compute_hours");
        Assert.Contains(">hours</text>", compute, StringComparison.Ordinal);
        Assert.DoesNotContain("limit-line", compute, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"chart-call_minutes\"", html, StringComparison.Ordinal);
    }

    private static string Svg(string html, string id)
    {
        var match = Regex.Match(html, $"<svg[^>]*id=\"{id}\"[\\s\\S]*?</svg>");
        Assert.True(match.Success, $"no chart {id}");
        return match.Value;
    }
}
