using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests;

public sealed class UsageFlowTests
{
    [Fact]
    public async Task RegisterReportLinkReport_SendsExactlyOneMeterEventForTheLinkedReport()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var orgId = Guid.NewGuid();

        var token = await InstanceCalls.RegisterAsync(host.Client, orgId);
        using (var pending = await InstanceCalls.ReportAsync(host.Client, token, orgId, 12, stripe.Clock.GetUtcNow().AddHours(-1)))
        {
            var json = await InstanceCalls.ReadJsonAsync(pending);
            Assert.Equal(HttpStatusCode.OK, pending.StatusCode);
            Assert.Equal("pending", json.GetProperty("organization_status").GetString());
            Assert.False(json.GetProperty("billable").GetBoolean());
        }

        using (var link = await InstanceCalls.LinkAsync(host.Admin, orgId))
        {
            var json = await InstanceCalls.ReadJsonAsync(link);
            Assert.True(link.StatusCode == HttpStatusCode.OK, json.ToString());
            Assert.Equal("trial", json.GetProperty("organization").GetProperty("subscription_status").GetString());
        }

        var customer = Assert.Single(stripe.State.Customers);
        Assert.Equal(orgId.ToString(), customer.Metadata["organization_id"]);
        var subscription = Assert.Single(stripe.State.Subscriptions);
        Assert.Equal("trialing", subscription.Status);
        Assert.Equal(customer.Id, subscription.CustomerId);

        var reportTime = stripe.Clock.GetUtcNow();
        Guid reportId;
        using (var billed = await InstanceCalls.ReportAsync(host.Client, token, orgId, 45, reportTime))
        {
            var json = await InstanceCalls.ReadJsonAsync(billed);
            Assert.Equal("trial", json.GetProperty("organization_status").GetString());
            Assert.True(json.GetProperty("billable").GetBoolean());
            reportId = Guid.Parse(json.GetProperty("report_id").GetString()!);
        }

        var dispatcher = host.Services.GetRequiredService<IMeterEventDispatcher>();
        Assert.Equal(1, await dispatcher.DispatchOnceAsync());
        Assert.Equal(0, await dispatcher.DispatchOnceAsync());

        var sent = Assert.Single(stripe.Requests, r => r.Path == "/v1/billing/meter_events");
        Assert.Equal(BillingTestHost.MeterEventName, sent.Form["event_name"]);
        Assert.Equal(customer.Id, sent.Form["payload[stripe_customer_id]"]);
        Assert.Equal("45", sent.Form["payload[value]"]);
        Assert.Equal($"vaultai-usage-{reportId:N}", sent.Form["identifier"]);
        Assert.Equal(reportTime.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), sent.Form["timestamp"]);

        await using var db = host.CreateDbContext();
        var row = await db.MeterEventOutbox.SingleAsync();
        Assert.Equal(OutboxStatus.Sent, row.Status);
        Assert.Equal(2, await db.UsageReports.CountAsync());
    }

    [Fact]
    public async Task ReportUsage_RetriedWithSameKeyOrContent_IsStoredOnceAndSentOnce()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var orgId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, orgId);
        (await InstanceCalls.LinkAsync(host.Admin, orgId)).EnsureSuccessStatusCode();
        var at = stripe.Clock.GetUtcNow();

        // Same Idempotency-Key three times, in parallel: one row, one answer id, two duplicates.
        var responses = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => InstanceCalls.ReportAsync(host.Client, token, orgId, 30, at, "instance-key-1")));
        var bodies = await Task.WhenAll(responses.Select(InstanceCalls.ReadJsonAsync));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(bodies.Select(b => b.GetProperty("report_id").GetString()).Distinct());
        Assert.Equal(2, bodies.Count(b => b.GetProperty("duplicate").GetBoolean()));

        // No key: the content itself is the key.
        using (var first = await InstanceCalls.ReportAsync(host.Client, token, orgId, 31, at.AddMinutes(-1)))
        using (var again = await InstanceCalls.ReportAsync(host.Client, token, orgId, 31, at.AddMinutes(-1)))
        {
            Assert.False((await InstanceCalls.ReadJsonAsync(first)).GetProperty("duplicate").GetBoolean());
            Assert.True((await InstanceCalls.ReadJsonAsync(again)).GetProperty("duplicate").GetBoolean());
        }

        var dispatcher = host.Services.GetRequiredService<IMeterEventDispatcher>();
        while (await dispatcher.DispatchOnceAsync() > 0)
        {
        }

        await using var db = host.CreateDbContext();
        Assert.Equal(2, await db.UsageReports.CountAsync());
        Assert.Equal(2, await db.MeterEventOutbox.CountAsync(m => m.Status == OutboxStatus.Sent));
        Assert.Equal(2, stripe.Requests.Count(r => r.Path == "/v1/billing/meter_events"));
    }

    [Fact]
    public async Task ReportUsage_ManyAtOnceForOneOrganization_AllAcceptedEachStoredAndQueuedOnce()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var orgId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, orgId);
        (await InstanceCalls.LinkAsync(host.Admin, orgId)).EnsureSuccessStatusCode();
        var at = stripe.Clock.GetUtcNow();

        // 48 distinct reports and 16 retries of some of them, all in flight together for one organization.
        var sends = Enumerable.Range(0, 64).Select(i => InstanceCalls.ReportAsync(host.Client, token, orgId, i % 48, at.AddSeconds(-(i % 48)), $"burst-{i % 48}"));
        var responses = await Task.WhenAll(sends);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        await using var db = host.CreateDbContext();
        Assert.Equal(48, await db.UsageReports.CountAsync());
        Assert.Equal(48, await db.MeterEventOutbox.CountAsync());
    }

    [Fact]
    public async Task ReportUsage_OlderThanStripeWindow_IsKeptButNotBillable()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var orgId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, orgId);
        (await InstanceCalls.LinkAsync(host.Admin, orgId)).EnsureSuccessStatusCode();

        using var response = await InstanceCalls.ReportAsync(host.Client, token, orgId, 9, stripe.Clock.GetUtcNow().AddDays(-40));
        var json = await InstanceCalls.ReadJsonAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(json.GetProperty("billable").GetBoolean());

        await using var db = host.CreateDbContext();
        var report = await db.UsageReports.SingleAsync();
        Assert.False(report.Billable);
        Assert.Contains("35-day", report.NotBillableReason, StringComparison.Ordinal);
        Assert.Equal(0, await db.MeterEventOutbox.CountAsync());
    }

    [Fact]
    public async Task Status_LinkedOrganization_ReturnsTrialAndPeriod()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var orgId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, orgId);

        using (var pending = await InstanceCalls.SendAsync(host.Client, HttpMethod.Get, $"/api/organizations/{orgId}/status", token, null))
        {
            var json = await InstanceCalls.ReadJsonAsync(pending);
            Assert.Equal("pending", json.GetProperty("subscription_status").GetString());
            Assert.Equal(System.Text.Json.JsonValueKind.Null, json.GetProperty("stripe_subscription").ValueKind);
        }

        (await InstanceCalls.LinkAsync(host.Admin, orgId, trialDays: 4)).EnsureSuccessStatusCode();
        using var linked = await InstanceCalls.SendAsync(host.Client, HttpMethod.Get, $"/api/organizations/{orgId}/status", token, null);
        var status = await InstanceCalls.ReadJsonAsync(linked);
        Assert.Equal("trial", status.GetProperty("subscription_status").GetString());
        Assert.True(status.GetProperty("trial_active").GetBoolean());
        Assert.Equal("self-hosted", status.GetProperty("plan_type").GetString());
        Assert.Equal("on-premise", status.GetProperty("deployment_type").GetString());
        var trialEnd = status.GetProperty("trial_end").GetDateTimeOffset();
        Assert.Equal(stripe.Clock.GetUtcNow().AddDays(4).ToUnixTimeSeconds(), trialEnd.ToUnixTimeSeconds(), tolerance: 5);
        Assert.Equal("trialing", status.GetProperty("stripe_subscription").GetProperty("status").GetString());
        Assert.True(status.GetProperty("entitlements").GetProperty("entitled").GetBoolean());
    }
}
