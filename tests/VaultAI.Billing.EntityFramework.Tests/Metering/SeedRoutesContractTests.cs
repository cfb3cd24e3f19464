using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Metering;

/// <summary>
/// Pins the answers of the seeds' routes (<c>POST /api/usage-report</c>, <c>POST /api/meter-events</c>) byte for byte,
/// so that generic metering behind them changes nothing an instance can see. Only the report id (a fresh UUID) is masked.
/// </summary>
public sealed partial class SeedRoutesContractTests
{
    [Fact]
    public async Task SeedRoutes_PendingThenLinkedThenRetried_AnswerExactlyAsBefore()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var orgId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, orgId);
        var at = Stamp(stripe.Clock.GetUtcNow().AddMinutes(-10));

        var report = $$"""{"organization_id":"{{orgId}}","organization_name":"Acme Corp","instance_url":"acme.example.com","user_count":45,"timestamp":"{{at}}"}""";
        var legacy = $$"""{"organization_id":"{{orgId}}","user_count":15,"deployment_type":"on-premise","timestamp":"{{at}}"}""";

        await AssertAnswerAsync(
            await InstanceCalls.SendAsync(host.Client, HttpMethod.Post, "/api/usage-report", token, report),
            """{"success":true,"message":"Usage report received","report_id":"{ID}","organization_status":"pending","duplicate":false,"billable":false}""");
        await AssertAnswerAsync(
            await InstanceCalls.SendAsync(host.Client, HttpMethod.Post, "/api/usage-report", token, report),
            """{"success":true,"message":"Usage report already received","report_id":"{ID}","organization_status":"pending","duplicate":true,"billable":false}""");
        await AssertAnswerAsync(
            await InstanceCalls.SendAsync(host.Client, HttpMethod.Post, "/api/meter-events", token, legacy),
            """{"success":true,"message":"Usage report received","report_id":"{ID}","organization_status":"pending","duplicate":false,"billable":false}""");

        (await InstanceCalls.LinkAsync(host.Admin, orgId)).EnsureSuccessStatusCode();
        var linkedAt = Stamp(stripe.Clock.GetUtcNow());
        await AssertAnswerAsync(
            await InstanceCalls.SendAsync(host.Client, HttpMethod.Post, "/api/meter-events", token, legacy.Replace(at, linkedAt, StringComparison.Ordinal), "legacy-key-1"),
            """{"success":true,"message":"Usage report received","report_id":"{ID}","organization_status":"trial","duplicate":false,"billable":true}""");
        await AssertAnswerAsync(
            await InstanceCalls.SendAsync(host.Client, HttpMethod.Post, "/api/meter-events", token, legacy.Replace(at, linkedAt, StringComparison.Ordinal), "legacy-key-1"),
            """{"success":true,"message":"Usage report already received","report_id":"{ID}","organization_status":"trial","duplicate":true,"billable":true}""");
        await AssertAnswerAsync(
            await InstanceCalls.SendAsync(host.Client, HttpMethod.Post, "/api/usage-report", token, report.Replace(at, linkedAt, StringComparison.Ordinal)),
            """{"success":true,"message":"Usage report received","report_id":"{ID}","organization_status":"trial","duplicate":false,"billable":true}""");
    }

    private static async Task AssertAnswerAsync(HttpResponseMessage response, string expected)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
            Assert.Equal(expected, ReportId().Replace(body, "\"report_id\":\"{ID}\""));
        }
    }

    private static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    [GeneratedRegex("\"report_id\":\"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\"")]
    private static partial Regex ReportId();
}
