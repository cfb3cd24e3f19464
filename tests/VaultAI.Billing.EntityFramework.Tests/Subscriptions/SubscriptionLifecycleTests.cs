using System.Net;
using static VaultAI.Billing.EntityFramework.Tests.Subscriptions.LifecycleRig;

namespace VaultAI.Billing.EntityFramework.Tests.Subscriptions;

/// <summary>
/// The admin lifecycle routes against PostgreSQL and the emulator through Stripe.net, time moved by the emulator's
/// clock. Every change is posted twice: the second call must change nothing and answer the same.
/// </summary>
public sealed class SubscriptionLifecycleTests
{
    private static readonly TimeSpan HalfMonth = TimeSpan.FromDays(15);

    [Fact]
    public async Task ChangePlan_UpgradeMidPeriodWithCreateProrations_NextInvoiceCarriesTheProrationLines()
    {
        await using var rig = await StartAsync();
        await rig.Stripe.AdvanceTimeAsync(HalfMonth);
        var subscriptionId = (await rig.OrganizationAsync()).StripeSubscriptionId!;

        var body = await rig.PostTwiceAsync("plan", """{"plan_type":"pro","proration_behavior":"create_prorations"}""");
        var afterChange = await rig.InvoicesAsync();
        await rig.Stripe.AdvanceTimeAsync(HalfMonth + TimeSpan.FromHours(1));
        var renewal = (await rig.InvoicesAsync()).Last();

        Assert.Equal("pro", Json(body).GetProperty("organization").GetProperty("plan_type").GetString());
        Assert.Equal(1, rig.SubscriptionWrites(subscriptionId));
        var item = Assert.Single((await rig.SubscriptionAsync()).Items.Data);
        Assert.Equal(rig.ProPrice, item.Price.Id);
        Assert.Equal(3, item.Quantity);
        Assert.Single(afterChange);
        var prorations = renewal.Lines.Data.Where(IsProration).Select(l => l.Amount).OrderBy(a => a).ToList();
        Assert.Equal([-3000, 7500], prorations);
        Assert.Contains(renewal.Lines.Data, l => !IsProration(l) && l.Amount == 15000);
        Assert.Equal("pro", (await rig.OrganizationAsync()).PlanKey);
    }

    [Fact]
    public async Task ChangePlan_WithNone_BillsNoProration()
    {
        await using var rig = await StartAsync();
        await rig.Stripe.AdvanceTimeAsync(HalfMonth);

        await rig.PostTwiceAsync("plan", """{"plan_type":"pro","proration_behavior":"none"}""");
        await rig.Stripe.AdvanceTimeAsync(HalfMonth + TimeSpan.FromHours(1));
        var invoices = await rig.InvoicesAsync();

        Assert.Equal(2, invoices.Count);
        Assert.DoesNotContain(invoices.SelectMany(i => i.Lines.Data), IsProration);
        Assert.Equal(15000, invoices[1].Total);
    }

    [Fact]
    public async Task ChangePlan_WithAlwaysInvoice_InvoicesTheProrationAtOnce()
    {
        await using var rig = await StartAsync();
        await rig.Stripe.AdvanceTimeAsync(HalfMonth);

        await rig.PostTwiceAsync("plan", """{"plan_type":"pro","proration_behavior":"always_invoice"}""");
        var invoices = await rig.InvoicesAsync();

        Assert.Equal(2, invoices.Count);
        Assert.Equal("subscription_update", invoices[1].BillingReason);
        Assert.Equal(4500, invoices[1].Total);
        Assert.Equal("paid", invoices[1].Status);
        Assert.All(invoices[1].Lines.Data, l => Assert.True(IsProration(l)));
    }

    [Fact]
    public async Task ChangePlan_MonthlyToYearly_StartsAYearlyPeriodNow()
    {
        await using var rig = await StartAsync();
        await rig.PostTwiceAsync("plan", """{"plan_type":"pro"}""");
        await rig.Stripe.AdvanceTimeAsync(HalfMonth);
        var now = rig.Stripe.Clock.GetUtcNow();

        await rig.PostTwiceAsync("plan", """{"plan_type":"pro","billing_interval":"yearly"}""");
        var organization = await rig.OrganizationAsync();
        var subscription = await rig.SubscriptionAsync();
        var switched = (await rig.InvoicesAsync()).Last();

        Assert.Equal(rig.ProYearlyPrice, Assert.Single(subscription.Items.Data).Price.Id);
        Assert.Equal(now, organization.CurrentPeriodStart);
        Assert.Equal(now.AddYears(1), organization.CurrentPeriodEnd);
        Assert.Equal("subscription_update", switched.BillingReason);
        Assert.Contains(switched.Lines.Data, l => !IsProration(l) && l.Amount == 150000);
        Assert.Contains(switched.Lines.Data, l => IsProration(l) && l.Amount == -7500);

        // Without billing_interval the yearly interval is kept.
        await rig.PostTwiceAsync("plan", """{"plan_type":"pro"}""");
        Assert.Equal(rig.ProYearlyPrice, Assert.Single((await rig.SubscriptionAsync()).Items.Data).Price.Id);
    }

    [Fact]
    public async Task ChangePlan_PaidToFreeThenFreeToPaid_CancelsAtPeriodEndThenCreatesANewSubscription()
    {
        await using var rig = await StartAsync();
        var paid = (await rig.OrganizationAsync()).StripeSubscriptionId!;

        await rig.PostTwiceAsync("plan", """{"plan_type":"free"}""");
        var scheduled = await rig.SubscriptionAsync(paid);
        var whileEnding = await rig.OrganizationAsync();
        await rig.Stripe.AdvanceTimeAsync(TimeSpan.FromDays(31));
        var ended = await rig.SubscriptionAsync(paid);

        await rig.PostTwiceAsync("plan", """{"plan_type":"free"}""");
        var onFree = await rig.OrganizationAsync();
        await rig.PostTwiceAsync("plan", """{"plan_type":"basic"}""");
        var back = await rig.OrganizationAsync();

        Assert.True(scheduled.CancelAtPeriodEnd);
        Assert.Equal("active", scheduled.Status);
        Assert.Equal(1, rig.SubscriptionWrites(paid));
        Assert.True(whileEnding.CancelAtPeriodEnd);
        Assert.Equal("canceled", ended.Status);
        Assert.Equal("free", onFree.PlanKey);
        Assert.Equal("basic", back.PlanKey);
        Assert.NotEqual(paid, back.StripeSubscriptionId);
        Assert.Equal("active", back.Status);
        Assert.Equal(2, rig.Stripe.State.Subscriptions.Count);
        var created = await rig.SubscriptionAsync(back.StripeSubscriptionId);
        Assert.Equal(rig.BasicPrice, Assert.Single(created.Items.Data).Price.Id);
        Assert.Equal(rig.OrganizationId.ToString("D"), created.Metadata["organization_id"]);
    }

    [Fact]
    public async Task ChangePlan_PaidToFreeWithWebhooks_EndsActiveOnTheFreePlanNotCanceled()
    {
        await using var rig = await StartAsync(webhooks: true);
        await rig.PostTwiceAsync("plan", """{"plan_type":"free"}""");
        await rig.Stripe.AdvanceTimeAsync(TimeSpan.FromDays(31));

        // customer.subscription.deleted reaches the host by webhook.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var organization = await rig.OrganizationAsync();
        while (organization.StripeSubscriptionStatus != "canceled")
        {
            Assert.True(DateTime.UtcNow < deadline, "the end of the subscription was not applied");
            await Task.Delay(50);
            organization = await rig.OrganizationAsync();
        }

        Assert.Equal(("active", "free"), (organization.Status, organization.PlanKey));
        Assert.Null(organization.BillingInterval);
        using var revenue = await rig.Host.Admin.GetAsync("/api/admin/revenue");
        var json = Json(await revenue.Content.ReadAsStringAsync());
        var free = json.GetProperty("plans").EnumerateArray().Single(p => p.GetProperty("plan").GetString() == "free");
        Assert.Equal((1, 0L), (free.GetProperty("organizations").GetInt32(), free.GetProperty("mrr").GetInt64()));
    }

    [Fact]
    public async Task ChangePlan_BackToPaidWhileEndingAfterAMoveToFree_KeepsTheSubscription()
    {
        await using var rig = await StartAsync();
        await rig.PostTwiceAsync("plan", """{"plan_type":"free"}""");

        await rig.PostTwiceAsync("plan", """{"plan_type":"basic"}""");
        var subscription = await rig.SubscriptionAsync();

        Assert.False(subscription.CancelAtPeriodEnd);
        Assert.Single(rig.Stripe.State.Subscriptions);
        Assert.False((await rig.OrganizationAsync()).CancelAtPeriodEnd);
    }

    [Fact]
    public async Task Seats_UpThenDown_ProratedAndIdempotent()
    {
        await using var rig = await StartAsync();
        await rig.Stripe.AdvanceTimeAsync(HalfMonth);
        var subscriptionId = (await rig.OrganizationAsync()).StripeSubscriptionId!;

        await rig.PostTwiceAsync("seats", """{"quantity":5}""");
        var up = await rig.SubscriptionAsync();
        await rig.PostTwiceAsync("seats", """{"quantity":2}""");
        var down = await rig.SubscriptionAsync();
        var preview = await rig.Client.V1.Invoices.CreatePreviewAsync(new global::Stripe.InvoiceCreatePreviewOptions { Subscription = subscriptionId });

        Assert.Equal(5, up.Items.Data[0].Quantity);
        Assert.Equal(2, down.Items.Data[0].Quantity);
        Assert.Equal(2, rig.SubscriptionWrites(subscriptionId));
        var prorations = preview.Lines.Data.Where(IsProration).Select(l => l.Amount).OrderBy(a => a).ToList();
        Assert.Equal([-5000, -3000, 2000, 5000], prorations);
    }

    [Fact]
    public async Task Resume_AfterCancelAtPeriodEnd_RenewsAtPeriodEnd()
    {
        await using var rig = await StartAsync();
        using (var cancel = await rig.Host.Admin.PostAsync($"/api/admin/organizations/{rig.OrganizationId}/cancel?at_period_end=true", null))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }

        Assert.True((await rig.OrganizationAsync()).CancelAtPeriodEnd);
        await rig.PostTwiceAsync("resume");
        await rig.Stripe.AdvanceTimeAsync(TimeSpan.FromDays(31));
        var subscription = await rig.SubscriptionAsync();

        Assert.False((await rig.OrganizationAsync()).CancelAtPeriodEnd);
        Assert.Equal("active", subscription.Status);
        Assert.Equal(2, (await rig.InvoicesAsync()).Count);
    }

    [Theory]
    [InlineData("plan", """{"plan_type":"platinum"}""", "plan_type")]
    [InlineData("plan", """{"billing_interval":"monthly"}""", "plan_type")]
    [InlineData("plan", """{"plan_type":"basic","billing_interval":"weekly"}""", "billing_interval")]
    [InlineData("plan", """{"plan_type":"basic","billing_interval":"yearly"}""", "billing_interval")]
    [InlineData("plan", """{"plan_type":"pro","proration_behavior":"sometimes"}""", "proration_behavior")]
    [InlineData("seats", """{"quantity":0}""", "quantity")]
    [InlineData("seats", """{"quantity":"5"}""", "quantity")]
    [InlineData("seats", """{}""", "quantity")]
    public async Task BadInput_Answers400NamingTheField_AndChangesNothing(string action, string json, string field)
    {
        await using var rig = await StartAsync();
        var before = await rig.OrganizationAsync();
        var writesBefore = rig.Stripe.Requests.Count(r => r.Method == "POST");

        using var response = await rig.PostAsync(action, json);
        var problem = Json(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Equal(writesBefore, rig.Stripe.Requests.Count(r => r.Method == "POST"));
        Assert.Equal(before.Version, (await rig.OrganizationAsync()).Version);
    }

    [Theory]
    [InlineData("plan", """{"plan_type":"pro"}""")]
    [InlineData("seats", """{"quantity":4}""")]
    [InlineData("resume", "{}")]
    public async Task UnknownOrganization_Answers404(string action, string json)
    {
        await using var rig = await StartAsync();

        using var response = await rig.Host.Admin.PostAsync($"/api/admin/organizations/{Guid.NewGuid()}/{action}", InstanceCalls.Json(json));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("organization_not_found", Json(await response.Content.ReadAsStringAsync()).GetProperty("code").GetString());
    }
}
