using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Storage;
using VaultAI.Billing.Subscriptions;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Subscriptions;

/// <summary>The reconciliation against PostgreSQL and the emulator: Stripe changes while its webhooks are lost.</summary>
public sealed class ReconciliationTests
{
    private static async Task<ReconciliationResult> ReconcileAsync(LifecycleRig rig)
    {
        await using var scope = rig.Host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SubscriptionLifecycle>().ReconcileAsync();
    }

    [Fact]
    public async Task Reconcile_StatusChangedInStripeWhileWebhooksWereLost_RepairsItOnce()
    {
        await using var rig = await LifecycleRig.StartAsync(webhooks: true);
        await rig.Stripe.Deliveries.FlushAsync();
        var linked = await rig.OrganizationAsync();
        rig.Stripe.SetPaymentOutcome(linked.StripeCustomerId!, PaymentOutcome.Fails);

        // The renewal fails and the subscription becomes past due, but none of Stripe's webhooks arrives.
        rig.Stripe.Deliveries.DropNext(1000);
        await rig.Stripe.AdvanceTimeAsync(TimeSpan.FromDays(30) + TimeSpan.FromHours(1));
        var stale = await rig.OrganizationAsync();
        var inStripe = await rig.SubscriptionAsync();

        var first = await ReconcileAsync(rig);
        var repaired = await rig.OrganizationAsync();
        var second = await ReconcileAsync(rig);

        Assert.Equal("past_due", inStripe.Status);
        Assert.Equal("active", stale.Status);
        Assert.Equal(new ReconciliationResult(1, 1, 1), first);
        Assert.Equal("past_due", repaired.Status);
        Assert.Equal("past_due", repaired.StripeSubscriptionStatus);
        Assert.Equal(inStripe.Items.Data[0].CurrentPeriodEnd, repaired.CurrentPeriodEnd?.UtcDateTime);
        Assert.Equal("basic", repaired.PlanKey);
        Assert.Equal(new ReconciliationResult(1, 1, 0), second);
    }

    [Fact]
    public async Task Reconcile_PlanChangedInStripe_RepairsThePlanFromTheItems()
    {
        await using var rig = await LifecycleRig.StartAsync();
        var subscription = await rig.SubscriptionAsync();
        await rig.Client.V1.Subscriptions.UpdateAsync(subscription.Id, new global::Stripe.SubscriptionUpdateOptions
        {
            Items = [new global::Stripe.SubscriptionItemOptions { Id = subscription.Items.Data[0].Id, Price = rig.ProPrice }],
        });

        var result = await ReconcileAsync(rig);

        Assert.Equal(1, result.Repaired);
        Assert.Equal("pro", (await rig.OrganizationAsync()).PlanKey);
    }

    [Fact]
    public async Task BackgroundJob_WhenEnabled_RepairsOnItsOwnAsTimePasses()
    {
        await using var rig = await LifecycleRig.StartAsync(webhooks: true, configure: o =>
        {
            o.Reconciliation.Enabled = true;
            o.Reconciliation.InitialDelay = TimeSpan.FromMinutes(1);
            o.Reconciliation.Interval = TimeSpan.FromHours(1);
        });
        await rig.Stripe.Deliveries.FlushAsync();
        rig.Stripe.SetPaymentOutcome((await rig.OrganizationAsync()).StripeCustomerId!, PaymentOutcome.Fails);
        rig.Stripe.Deliveries.DropNext(1000);
        await rig.Stripe.AdvanceTimeAsync(TimeSpan.FromDays(30) + TimeSpan.FromMinutes(1));

        // Each hour of emulated time lets the job run once more; it must repair within a few runs.
        var status = (await rig.OrganizationAsync()).Status;
        for (var hour = 0; hour < 50 && status != "past_due"; hour++)
        {
            await rig.Stripe.AdvanceTimeAsync(TimeSpan.FromHours(1));
            await Task.Delay(100);
            status = (await rig.OrganizationAsync()).Status;
        }

        Assert.Equal("past_due", (await rig.SubscriptionAsync()).Status);
        Assert.Equal("past_due", status);
    }

    [Fact]
    public async Task JobLock_IsHeldByOneCallerAtATime()
    {
        await using var rig = await LifecycleRig.StartAsync();
        var jobLock = rig.Host.Services.GetRequiredService<IBillingJobLock>();

        var first = await jobLock.TryAcquireAsync("reconciliation");
        var whileHeld = await jobLock.TryAcquireAsync("reconciliation");
        var otherJob = await jobLock.TryAcquireAsync("another-job");
        await first!.DisposeAsync();
        var afterRelease = await jobLock.TryAcquireAsync("reconciliation");

        Assert.NotNull(first);
        Assert.Null(whileHeld);
        Assert.NotNull(otherJob);
        Assert.NotNull(afterRelease);
        await otherJob.DisposeAsync();
        await afterRelease.DisposeAsync();
    }
}
