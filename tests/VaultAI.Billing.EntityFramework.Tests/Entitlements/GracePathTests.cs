using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Stripe;
using VaultAI.Billing.Events;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Subscriptions;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Entitlements;

/// <summary>
/// Issue 15, item 4: the paths other than the webhook that make an organization past due (the reconciliation job, linking
/// an already past-due subscription) record since when, so the plan's 7 grace days end and suspension follows. No
/// webhook reaches the host here; every state comes from the emulator, driven through Stripe.net and its clock.
/// </summary>
public sealed class GracePathTests
{
    [Fact]
    public async Task Reconciliation_PastDueFoundLate_GraceCountsFromTheFailedInvoice_SuspendedAfterGrace_ResumedByPaidInvoice()
    {
        await using var world = await EntitlementWorld.StartAsync(deliverWebhooks: false);
        var orgId = await world.RegisterAndLinkAsync(trialDays: 4);
        var linked = await world.OrganizationAsync(orgId);
        var trialEnd = linked.TrialEnd!.Value;
        world.Stripe.SetPaymentOutcome(linked.StripeCustomerId!, PaymentOutcome.Fails);

        // The trial's invoice fails at its end; the job only runs two days later.
        await world.AdvanceToAsync(trialEnd + TimeSpan.FromDays(2));
        Assert.Equal(OrganizationStatus.Trial, (await world.OrganizationAsync(orgId)).Status);
        await ReconcileAsync(world);
        var pastDue = await world.OrganizationAsync(orgId);
        Assert.Equal(OrganizationStatus.PastDue, pastDue.Status);
        Assert.InRange(pastDue.PastDueSince!.Value, trialEnd - TimeSpan.FromHours(2), trialEnd + TimeSpan.FromHours(2));
        Assert.Single(await world.EventsAsync(orgId, BillingEventTypes.PastDue));

        // Within the grace days: entitled; a later run keeps the start of the grace period.
        await world.AdvanceToAsync(trialEnd + TimeSpan.FromDays(6));
        await ReconcileAsync(world);
        Assert.Equal(pastDue.PastDueSince, (await world.OrganizationAsync(orgId)).PastDueSince);
        using (var withinGrace = await world.CreateServiceAsync(orgId))
        {
            Assert.Equal(HttpStatusCode.Created, withinGrace.StatusCode);
        }

        // After them: suspended, though the job keeps seeing the same past-due subscription.
        await world.AdvanceToAsync(trialEnd + TimeSpan.FromDays(8));
        await ReconcileAsync(world);
        Assert.Equal(pastDue.PastDueSince, (await world.OrganizationAsync(orgId)).PastDueSince);
        await AssertSuspendedAsync(world, orgId);

        // Stripe's next retry pays the invoice; the job finds the subscription active again.
        world.Stripe.SetPaymentOutcome(linked.StripeCustomerId!, PaymentOutcome.Succeeds);
        await world.AdvanceToAsync(trialEnd + TimeSpan.FromDays(9) + TimeSpan.FromMinutes(1));
        await ReconcileAsync(world);
        var resumed = await world.OrganizationAsync(orgId);
        Assert.Equal(OrganizationStatus.Active, resumed.Status);
        Assert.Null(resumed.PastDueSince);
        using (var after = await world.CreateServiceAsync(orgId))
        {
            Assert.Equal(HttpStatusCode.Created, after.StatusCode);
        }

        // The host's handlers hear of all three on this path too (stop the services, start them again).
        await world.Handler.WaitForAsync(orgId, BillingEventTypes.PastDue, BillingEventTypes.Suspended, BillingEventTypes.Resumed);
        Assert.Equal("system", Assert.Single(await world.EventsAsync(orgId, BillingEventTypes.Resumed)).GetProperty("actor").GetString());
    }

    [Fact]
    public async Task Link_SubscriptionAlreadyPastDue_GraceCountsFromTheFailedInvoice_SuspendedAfterGrace()
    {
        await using var world = await EntitlementWorld.StartAsync(deliverWebhooks: false);
        var orgId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(world.Host.Client, orgId);

        // A subscription made for this organization outside the link (an earlier install, or by hand in Stripe's
        // dashboard), whose first payment failed two days before the administrator links it.
        var stripe = world.Host.Services.GetRequiredService<StripeClient>();
        var price = world.Host.Services.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value.Plans[BillingTestHost.PlanKey].MonthlyPriceId!;
        var metadata = new Dictionary<string, string> { ["organization_id"] = orgId.ToString("D") };
        var customer = await stripe.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "billing@acme.example", Metadata = metadata });
        world.Stripe.SetPaymentOutcome(customer.Id, PaymentOutcome.Fails);
        var subscription = await stripe.V1.Subscriptions.CreateAsync(new SubscriptionCreateOptions
        {
            Customer = customer.Id,
            Items = [new SubscriptionItemOptions { Price = price }],
            TrialPeriodDays = 4,
            Metadata = metadata,
        });
        var trialEnd = new DateTimeOffset(DateTime.SpecifyKind(subscription.TrialEnd!.Value, DateTimeKind.Utc));
        await world.AdvanceToAsync(trialEnd + TimeSpan.FromDays(2));
        Assert.Equal("past_due", (await stripe.V1.Subscriptions.GetAsync(subscription.Id)).Status);

        using (var link = await InstanceCalls.LinkAsync(world.Host.Admin, orgId))
        {
            Assert.True(link.IsSuccessStatusCode, await link.Content.ReadAsStringAsync());
        }

        var pastDue = await world.OrganizationAsync(orgId);
        Assert.Equal(subscription.Id, pastDue.StripeSubscriptionId);
        Assert.Equal(OrganizationStatus.PastDue, pastDue.Status);
        Assert.InRange(pastDue.PastDueSince!.Value, trialEnd - TimeSpan.FromHours(2), trialEnd + TimeSpan.FromHours(2));

        await world.AdvanceToAsync(trialEnd + TimeSpan.FromDays(6));
        using (var withinGrace = await world.CreateServiceAsync(orgId))
        {
            Assert.Equal(HttpStatusCode.Created, withinGrace.StatusCode);
        }

        // Seven days after the failed payment, not seven days after the link.
        await world.AdvanceToAsync(trialEnd + TimeSpan.FromDays(7) + TimeSpan.FromHours(1));
        await AssertSuspendedAsync(world, orgId);
        await world.Handler.WaitForAsync(orgId, BillingEventTypes.Suspended);
    }

    private static async Task ReconcileAsync(EntitlementWorld world)
    {
        await using var scope = world.Host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<SubscriptionLifecycle>().ReconcileAsync();
    }

    private static async Task AssertSuspendedAsync(EntitlementWorld world, Guid orgId)
    {
        using var refused = await world.CreateServiceAsync(orgId);
        Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
        var problem = await InstanceCalls.ReadJsonAsync(refused);
        Assert.Equal("suspended", problem.GetProperty("code").GetString());
        Assert.Equal(OrganizationStatus.PastDue, (await world.OrganizationAsync(orgId)).Status);
    }
}
