using System.Net;
using Microsoft.EntityFrameworkCore;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests;

/// <summary>
/// An organization's first report on a host that has not cached its token: the report's own statement checks the token
/// (one round trip). Each test reports through a host that has never seen the token, so every report here takes that path.
/// </summary>
public sealed class FirstReportTests
{
    [Fact]
    public async Task FirstReport_RevokedToken_Answers401AndWritesNothing()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var admin = await BillingTestHost.StartAsync(stripe, "price_unused");
        var org = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(admin.Client, org);
        (await admin.Admin.PostAsync($"/api/admin/organizations/{org}/revoke-token", null)).EnsureSuccessStatusCode();

        // A host that never verified the token: its first report goes through the statement that checks the token itself.
        await using var fresh = await BillingTestHost.StartAsync(stripe, "price_unused", admin.ConnectionString);
        using (var report = await InstanceCalls.ReportAsync(fresh.Client, token, org, 7, stripe.Clock.GetUtcNow(), "revoked-1"))
        {
            await AssertInvalidTokenAsync(report);
        }

        // A bad body does not change the answer: an unauthenticated caller learns nothing about validation.
        using (var badBody = await InstanceCalls.SendAsync(fresh.Client, HttpMethod.Post, "/api/usage-report", token, $$"""{"organization_id":"{{org}}","user_count":-1}"""))
        {
            await AssertInvalidTokenAsync(badBody);
        }

        await using var db = admin.CreateDbContext();
        Assert.Equal(0, await db.UsageReports.CountAsync(r => r.OrganizationId == org));
        Assert.Equal(0, await db.UsageEvents.CountAsync(e => e.OrganizationId == org));
        Assert.Equal(0, await db.UsageTotals.CountAsync(t => t.OrganizationId == org));
        var organization = await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == org);
        Assert.Null(organization.LastReportAt);
        Assert.Null(organization.LastUserCount);
    }

    [Fact]
    public async Task FirstReports_SameOrganizationAndKeyRacingOnTwoHosts_OneNewOneDuplicateOneLedgerRow()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var one = await BillingTestHost.StartAsync(stripe, "price_unused");
        await using var two = await BillingTestHost.StartAsync(stripe, "price_unused", one.ConnectionString);
        var org = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(one.Client, org);
        var at = stripe.Clock.GetUtcNow();

        // Neither host has verified the token: both reports are first reports, sent at once with the same key.
        var responses = await Task.WhenAll(
            InstanceCalls.ReportAsync(one.Client, token, org, 42, at, "daily-1"),
            InstanceCalls.ReportAsync(two.Client, token, org, 42, at, "daily-1"));
        var answers = new List<(bool Duplicate, string ReportId)>();
        foreach (var response in responses)
        {
            using (response)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var json = await InstanceCalls.ReadJsonAsync(response);
                Assert.Equal("pending", json.GetProperty("organization_status").GetString());
                answers.Add((json.GetProperty("duplicate").GetBoolean(), json.GetProperty("report_id").GetString()!));
            }
        }

        Assert.Equal(1, answers.Count(a => !a.Duplicate));
        Assert.Equal(1, answers.Count(a => a.Duplicate));
        Assert.Equal(answers[0].ReportId, answers[1].ReportId);

        await using var db = one.CreateDbContext();
        var stored = await db.UsageReports.AsNoTracking().SingleAsync(r => r.OrganizationId == org);
        Assert.Equal(answers[0].ReportId, stored.Id.ToString());
        Assert.False(stored.Billable);
        Assert.Equal(1, await db.UsageEvents.CountAsync(e => e.OrganizationId == org));
        var total = await db.UsageTotals.AsNoTracking().SingleAsync(t => t.OrganizationId == org);
        Assert.Equal(1, total.EventCount);
        Assert.Equal(42m, total.Total);
        Assert.Equal(0, await db.MeterEventOutbox.CountAsync(m => m.OrganizationId == org));
        var organization = await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == org);
        Assert.Equal(42, organization.LastUserCount);
        Assert.NotNull(organization.LastReportAt);
    }

    [Fact]
    public async Task FirstReport_LinkedOrganizationOnAFreshHost_IsBilledAndQueuedOnce()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var linking = await BillingTestHost.StartAsync(stripe, price);
        var org = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(linking.Client, org);
        (await InstanceCalls.LinkAsync(linking.Admin, org)).EnsureSuccessStatusCode();
        var at = DateTimeOffset.FromUnixTimeSeconds(stripe.Clock.GetUtcNow().ToUnixTimeSeconds() + 1);

        // The statement presumes an organization not linked yet; this one is, so it is decided again on the row it returned.
        await using var fresh = await BillingTestHost.StartAsync(stripe, price, linking.ConnectionString);
        using (var report = await InstanceCalls.ReportAsync(fresh.Client, token, org, 9, at, "linked-1"))
        {
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
            var json = await InstanceCalls.ReadJsonAsync(report);
            Assert.False(json.GetProperty("duplicate").GetBoolean());
            Assert.True(json.GetProperty("billable").GetBoolean());
        }

        await using var db = linking.CreateDbContext();
        var stored = await db.UsageReports.AsNoTracking().SingleAsync(r => r.OrganizationId == org);
        Assert.True(stored.Billable);
        Assert.Equal(1, await db.UsageEvents.CountAsync(e => e.OrganizationId == org));
        var outbox = await db.MeterEventOutbox.AsNoTracking().SingleAsync(m => m.OrganizationId == org);
        Assert.Equal(stored.Id, outbox.UsageReportId);
        Assert.Equal(9, outbox.Value);
    }

    private static async Task AssertInvalidTokenAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await InstanceCalls.ReadJsonAsync(response);
        Assert.Equal("invalid_token", problem.GetProperty("code").GetString());
        Assert.Equal("Authorization", problem.GetProperty("field").GetString());
    }
}
