using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using VaultAI.Billing.Testing;
using static VaultAI.Billing.EntityFramework.Tests.Metering.MeteringHost;

namespace VaultAI.Billing.EntityFramework.Tests.Metering;

public sealed class UsageRouteTests
{
    [Fact]
    public async Task GetUsage_PendingOrganization_CalendarMonthEveryCatalogMetricAndNoLimits()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await MeteringHost.StartAsync(stripe);
        var org = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, org);
        var now = stripe.Clock.GetUtcNow();
        await PostOkAsync(host, token, Batch(Event("m1", "call_minutes", "1.5", now), Event("m2", "call_minutes", "2.25", now)));

        using var response = await InstanceCalls.SendAsync(host.Client, HttpMethod.Get, $"/api/organizations/{org}/usage", token, null);
        var json = await InstanceCalls.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["organization_id", "period", "plan", "usage"], json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(org, json.GetProperty("organization_id").GetGuid());
        var month = new DateTimeOffset(now.UtcDateTime.Year, now.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(month, json.GetProperty("period").GetProperty("start").GetDateTimeOffset());
        Assert.Equal(month.AddMonths(1), json.GetProperty("period").GetProperty("end").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("plan").ValueKind);
        var usage = json.GetProperty("usage").EnumerateArray().ToList();
        Assert.Equal(["active_users", "api_calls", "call_minutes", "peak_storage_gb", "seats"], usage.Select(u => u.GetProperty("metric").GetString()));
        var minutes = usage.Single(u => u.GetProperty("metric").GetString() == "call_minutes");
        Assert.Equal(
            """{"metric":"call_minutes","unit":"minutes","current":3.75,"included":null,"limit":null,"percentage":null,"unlimited":true}""",
            minutes.GetRawText());
        Assert.Equal(0m, usage[0].GetProperty("current").GetDecimal());
    }

    [Fact]
    public async Task GetUsage_LinkedOrganization_StripePeriodPlanLimitAndSeedReportsCounted()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await MeteringHost.StartAsync(stripe, price, o => o.Plans[BillingTestHost.PlanKey].Limits["api_calls"] = 4);
        var org = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, org);
        (await InstanceCalls.LinkAsync(host.Admin, org)).EnsureSuccessStatusCode();
        // Usage from before the link belongs to the calendar month, not the new Stripe period: report from inside the period.
        stripe.Clock.Advance(TimeSpan.FromMinutes(10));
        var now = stripe.Clock.GetUtcNow();

        // The seeds' daily report feeds the report metric (Last): the latest report's user_count is the period's value.
        (await InstanceCalls.ReportAsync(host.Client, token, org, 45, now.AddMinutes(-2))).EnsureSuccessStatusCode();
        (await InstanceCalls.ReportAsync(host.Client, token, org, 30, now.AddMinutes(-3))).EnsureSuccessStatusCode();
        (await InstanceCalls.SendAsync(host.Client, HttpMethod.Post, "/api/meter-events", token, $$"""{"organization_id":"{{org}}","user_count":47,"deployment_type":"on-premise","timestamp":"{{Stamp(now.AddMinutes(-1))}}"}""")).EnsureSuccessStatusCode();
        // A retried report is not counted again (same content, same report).
        (await InstanceCalls.ReportAsync(host.Client, token, org, 45, now.AddMinutes(-2))).EnsureSuccessStatusCode();
        await PostOkAsync(host, token, Batch(Event("c1", "api_calls", "1", now), Event("c2", "api_calls", "1", now), Event("c3", "api_calls", "1", now)));

        using var status = await InstanceCalls.SendAsync(host.Client, HttpMethod.Get, $"/api/organizations/{org}/status", token, null);
        var subscription = (await InstanceCalls.ReadJsonAsync(status)).GetProperty("stripe_subscription");
        using var response = await InstanceCalls.SendAsync(host.Client, HttpMethod.Get, $"/api/organizations/{org}/usage", token, null);
        var json = await InstanceCalls.ReadJsonAsync(response);

        Assert.Equal(subscription.GetProperty("current_period_start").GetDateTimeOffset(), json.GetProperty("period").GetProperty("start").GetDateTimeOffset());
        Assert.Equal(subscription.GetProperty("current_period_end").GetDateTimeOffset(), json.GetProperty("period").GetProperty("end").GetDateTimeOffset());
        Assert.Equal(BillingTestHost.PlanKey, json.GetProperty("plan").GetString());
        var usage = json.GetProperty("usage").EnumerateArray().ToDictionary(u => u.GetProperty("metric").GetString()!);
        Assert.Equal(47m, usage["active_users"].GetProperty("current").GetDecimal());
        Assert.Equal("users", usage["active_users"].GetProperty("unit").GetString());
        Assert.Equal(
            """{"metric":"api_calls","unit":"calls","current":3,"included":null,"limit":4,"percentage":75,"unlimited":false}""",
            usage["api_calls"].GetRawText());
    }

    [Fact]
    public async Task GetUsage_OtherOrganizationsTokenOrNoAdmin_IsRefused_AdminRouteAnswers()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await MeteringHost.StartAsync(stripe);
        var org = Guid.NewGuid();
        var other = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(host.Client, org);
        var otherToken = await InstanceCalls.RegisterAsync(host.Client, other, "Other");

        using var forbidden = await InstanceCalls.SendAsync(host.Client, HttpMethod.Get, $"/api/organizations/{org}/usage", otherToken, null);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("forbidden_organization", (await InstanceCalls.ReadJsonAsync(forbidden)).GetProperty("code").GetString());

        using var anonymous = await host.Client.GetAsync($"/api/admin/organizations/{org}/usage");
        Assert.Contains(anonymous.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden });

        using var admin = await host.Admin.GetAsync($"/api/admin/organizations/{org}/usage");
        var json = await InstanceCalls.ReadJsonAsync(admin);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Equal(org, json.GetProperty("organization_id").GetGuid());

        using var missing = await host.Admin.GetAsync($"/api/admin/organizations/{Guid.NewGuid()}/usage");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task RecordUsageEvents_MetricFromEnvironmentVariablesOnly_IsRecordedAndReported()
    {
        // Exactly what a newcomer sets in the shell (under a prefix private to this test, so nothing else sees them).
        var prefix = $"VAULTAI_TEST_{Guid.NewGuid():N}_";
        Environment.SetEnvironmentVariable(prefix + "VaultAI__Billing__Metrics__storage_gb__Aggregation", "Max");
        Environment.SetEnvironmentVariable(prefix + "VaultAI__Billing__Metrics__storage_gb__Decimals", "3");
        Environment.SetEnvironmentVariable(prefix + "VaultAI__Billing__Metrics__storage_gb__Unit", "GB");
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build();

        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused", configure: o => configuration.GetSection(VaultAIBillingOptions.SectionName).Bind(o));
        var org = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, org);
        var now = stripe.Clock.GetUtcNow();

        await PostOkAsync(host, token, Batch(Event("d1", "storage_gb", "1.234", now.AddMinutes(-2)), Event("d2", "storage_gb", "2.5", now.AddMinutes(-1)), Event("d3", "storage_gb", "0.001", now)));
        using var tooPrecise = await PostAsync(host, token, Batch(Event("d4", "storage_gb", "1.2345", now)));
        using var response = await InstanceCalls.SendAsync(host.Client, HttpMethod.Get, $"/api/organizations/{org}/usage", token, null);
        var usage = (await InstanceCalls.ReadJsonAsync(response)).GetProperty("usage").EnumerateArray().ToDictionary(u => u.GetProperty("metric").GetString()!);

        Assert.Equal(HttpStatusCode.BadRequest, tooPrecise.StatusCode);
        Assert.Equal("too_many_decimals", (await InstanceCalls.ReadJsonAsync(tooPrecise)).GetProperty("code").GetString());
        Assert.Equal(2.5m, usage["storage_gb"].GetProperty("current").GetDecimal());
        Assert.Equal("GB", usage["storage_gb"].GetProperty("unit").GetString());
        Assert.True(usage.ContainsKey("active_users"));
    }
}
