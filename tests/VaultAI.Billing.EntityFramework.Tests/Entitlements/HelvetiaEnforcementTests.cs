using System.Net;
using VaultAI.Billing.Events;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Entitlements;

/// <summary>Seed 003 (Helvetia Cloud): block canceled customers, limit resources, 7 days of grace, suspend, resume on payment.</summary>
public sealed class HelvetiaEnforcementTests
{
    [Fact]
    public async Task RequireEntitlement_CanceledOrganization_IsRefusedWith402SubscriptionInactive()
    {
        await using var world = await EntitlementWorld.StartAsync();
        var orgId = await world.RegisterAndLinkAsync();
        using (var before = await world.CreateServiceAsync(orgId))
        {
            Assert.Equal(HttpStatusCode.Created, before.StatusCode);
        }

        (await world.Host.Admin.PostAsync($"/api/admin/organizations/{orgId}/cancel", null)).EnsureSuccessStatusCode();
        await world.Stripe.Deliveries.FlushAsync();

        using var refused = await world.CreateServiceAsync(orgId);
        Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var problem = await InstanceCalls.ReadJsonAsync(refused);
        Assert.Equal("subscription_inactive", problem.GetProperty("code").GetString());
        Assert.Equal($"https://app.example.com/billing?org={orgId}", problem.GetProperty("upgrade_url").GetString());
        // Whoever applies the change first records it: the admin's call, or Stripe's webhook about it.
        Assert.Single(await world.EventsAsync(orgId, BillingEventTypes.Canceled));

        // The refused call recorded nothing: one service, from before the cancellation.
        using var usage = await world.Host.Admin.GetAsync($"/api/admin/organizations/{orgId}/usage");
        var services = (await InstanceCalls.ReadJsonAsync(usage)).GetProperty("usage").EnumerateArray().Single(m => m.GetProperty("metric").GetString() == "services");
        Assert.Equal(1m, services.GetProperty("current").GetDecimal());
    }

    [Fact]
    public async Task RequireEntitlement_LimitOfFiveServices_RefusesTheSixthAndRecordsThe80And100EventsOnce()
    {
        await using var world = await EntitlementWorld.StartAsync(configure: o => o.Plans[BillingTestHost.PlanKey].Limits["services"] = 5);
        var orgId = await world.RegisterAndLinkAsync();

        for (var i = 1; i <= 5; i++)
        {
            using var created = await world.CreateServiceAsync(orgId);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        for (var attempt = 0; attempt < 3; attempt++)
        {
            using var sixth = await world.CreateServiceAsync(orgId);
            Assert.Equal(HttpStatusCode.PaymentRequired, sixth.StatusCode);
            var problem = await InstanceCalls.ReadJsonAsync(sixth);
            Assert.Equal("quota_exceeded", problem.GetProperty("code").GetString());
            var quota = problem.GetProperty("quota");
            Assert.Equal(5m, quota.GetProperty("current").GetDecimal());
            Assert.Equal(5m, quota.GetProperty("limit").GetDecimal());
            Assert.Equal(100m, quota.GetProperty("percentage").GetDecimal());
        }

        Assert.Single(await world.EventsAsync(orgId, BillingEventTypes.QuotaWarning));
        Assert.Single(await world.EventsAsync(orgId, BillingEventTypes.QuotaReached));
        await world.Handler.WaitForAsync(orgId, BillingEventTypes.QuotaWarning, BillingEventTypes.QuotaReached);

        // The check route answers the same from the recorded usage.
        var token = await RotateAsync(world, orgId);
        using var check = await InstanceCalls.SendAsync(world.Host.Client, HttpMethod.Post, $"/api/organizations/{orgId}/entitlements/check", token, """{"metric":"services","quantity":1}""");
        Assert.Equal(HttpStatusCode.PaymentRequired, check.StatusCode);
        Assert.Equal(5m, (await InstanceCalls.ReadJsonAsync(check)).GetProperty("quota").GetProperty("current").GetDecimal());
        using var statusOnly = await InstanceCalls.SendAsync(world.Host.Client, HttpMethod.Post, $"/api/organizations/{orgId}/entitlements/check", token, """{"metric":"services","quantity":0}""");
        Assert.Equal(HttpStatusCode.OK, statusOnly.StatusCode);
    }

    [Fact]
    public async Task FailedPayment_EntitledForSevenDays_SuspendedOnDayEight_ResumedByPaidInvoice()
    {
        await using var world = await EntitlementWorld.StartAsync();
        var orgId = await world.RegisterAndLinkAsync(trialDays: 4);
        var customer = (await world.OrganizationAsync(orgId)).StripeCustomerId!;
        world.Stripe.SetPaymentOutcome(customer, PaymentOutcome.Fails);

        // The trial ends and its first invoice fails: Stripe makes the subscription past due and retries every 3 days.
        await world.AdvanceToAsync(world.Stripe.Clock.GetUtcNow() + TimeSpan.FromDays(4) + TimeSpan.FromMinutes(1));
        var pastDue = await world.OrganizationAsync(orgId);
        Assert.Equal(OrganizationStatus.PastDue, pastDue.Status);
        var since = pastDue.PastDueSince!.Value;

        await world.AdvanceToAsync(since + TimeSpan.FromDays(7) - TimeSpan.FromHours(1));
        using (var withinGrace = await world.CreateServiceAsync(orgId))
        {
            Assert.Equal(HttpStatusCode.Created, withinGrace.StatusCode);
        }

        await world.AdvanceToAsync(since + TimeSpan.FromDays(8));
        Assert.Equal(OrganizationStatus.PastDue, (await world.OrganizationAsync(orgId)).Status);
        await AssertSuspendedAsync(world, orgId);

        world.Stripe.SetPaymentOutcome(customer, PaymentOutcome.Succeeds);
        await world.AdvanceToAsync(since + TimeSpan.FromDays(9) + TimeSpan.FromMinutes(1));
        Assert.Equal(OrganizationStatus.Active, (await world.OrganizationAsync(orgId)).Status);
        using (var resumed = await world.CreateServiceAsync(orgId))
        {
            Assert.Equal(HttpStatusCode.Created, resumed.StatusCode);
        }

        // Stripe's notifications and our state changes all reach the host's handler.
        await world.Handler.WaitForAsync(
            orgId,
            BillingEventTypes.TrialEnding,
            BillingEventTypes.PaymentFailed,
            BillingEventTypes.PastDue,
            BillingEventTypes.Suspended,
            BillingEventTypes.InvoicePaid,
            BillingEventTypes.Resumed);
        Assert.Single(await world.EventsAsync(orgId, BillingEventTypes.PastDue));
        Assert.Single(await world.EventsAsync(orgId, BillingEventTypes.Suspended));
    }

    [Fact]
    public async Task AdminSync_PastDueFoundLate_GraceCountsFromTheFailedInvoice_SuspendedOnDayEight_ResumedBySync()
    {
        // No webhooks reach the host: only the administrator's "Sync from Stripe" tells it anything.
        await using var world = await EntitlementWorld.StartAsync(deliverWebhooks: false);
        var orgId = await world.RegisterAndLinkAsync(trialDays: 4);
        var customer = (await world.OrganizationAsync(orgId)).StripeCustomerId!;
        var trialEnd = (await world.OrganizationAsync(orgId)).TrialEnd!.Value;
        world.Stripe.SetPaymentOutcome(customer, PaymentOutcome.Fails);

        // Synced two days after the payment failed: the grace period still starts when it failed.
        await world.AdvanceToAsync(trialEnd + TimeSpan.FromDays(2));
        await SyncAsync(world, orgId);
        var pastDue = await world.OrganizationAsync(orgId);
        Assert.Equal(OrganizationStatus.PastDue, pastDue.Status);
        Assert.InRange(pastDue.PastDueSince!.Value, trialEnd - TimeSpan.FromHours(2), trialEnd + TimeSpan.FromHours(2));

        await world.AdvanceToAsync(trialEnd + TimeSpan.FromDays(6));
        await SyncAsync(world, orgId);
        using (var withinGrace = await world.CreateServiceAsync(orgId))
        {
            Assert.Equal(HttpStatusCode.Created, withinGrace.StatusCode);
        }

        await world.AdvanceToAsync(trialEnd + TimeSpan.FromDays(8));
        await SyncAsync(world, orgId);
        Assert.Equal(pastDue.PastDueSince, (await world.OrganizationAsync(orgId)).PastDueSince);
        await AssertSuspendedAsync(world, orgId);

        world.Stripe.SetPaymentOutcome(customer, PaymentOutcome.Succeeds);
        await world.AdvanceToAsync(trialEnd + TimeSpan.FromDays(9) + TimeSpan.FromMinutes(1));
        await SyncAsync(world, orgId);
        var resumed = await world.OrganizationAsync(orgId);
        Assert.Equal(OrganizationStatus.Active, resumed.Status);
        Assert.Null(resumed.PastDueSince);
        using (var after = await world.CreateServiceAsync(orgId))
        {
            Assert.Equal(HttpStatusCode.Created, after.StatusCode);
        }

        var resumedEvent = Assert.Single(await world.EventsAsync(orgId, BillingEventTypes.Resumed));
        Assert.Equal("admin:test-admin", resumedEvent.GetProperty("actor").GetString());
        await world.Handler.WaitForAsync(orgId, BillingEventTypes.PastDue, BillingEventTypes.Suspended, BillingEventTypes.Resumed);
    }

    private static async Task AssertSuspendedAsync(EntitlementWorld world, Guid orgId)
    {
        using var refused = await world.CreateServiceAsync(orgId);
        Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
        var problem = await InstanceCalls.ReadJsonAsync(refused);
        Assert.Equal("suspended", problem.GetProperty("code").GetString());
        Assert.Equal($"https://app.example.com/billing?org={orgId}", problem.GetProperty("upgrade_url").GetString());

        using var entitlements = await world.Host.Admin.GetAsync($"/api/admin/organizations/{orgId}/entitlements");
        var state = await InstanceCalls.ReadJsonAsync(entitlements);
        Assert.True(state.GetProperty("suspended").GetBoolean());
        Assert.False(state.GetProperty("entitled").GetBoolean());

        using var suspended = await world.Host.Admin.GetAsync("/api/admin/suspended");
        Assert.Contains((await InstanceCalls.ReadJsonAsync(suspended)).GetProperty("suspended").EnumerateArray(), s => s.GetProperty("organization_id").GetGuid() == orgId);
    }

    private static async Task SyncAsync(EntitlementWorld world, Guid orgId)
    {
        using var sync = await world.Host.Admin.PostAsync($"/api/admin/organizations/{orgId}/sync", null);
        Assert.True(sync.IsSuccessStatusCode, await sync.Content.ReadAsStringAsync());
    }

    private static async Task<string> RotateAsync(EntitlementWorld world, Guid orgId)
    {
        using var rotate = await world.Host.Admin.PostAsync($"/api/admin/organizations/{orgId}/rotate-token", null);
        rotate.EnsureSuccessStatusCode();
        return (await InstanceCalls.ReadJsonAsync(rotate)).GetProperty("billing_token").GetString()!;
    }
}
