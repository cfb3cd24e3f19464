using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Organizations;
using Stripe;
using Stripe.Checkout;
using Stripe.TestHelpers;
using VaultAI.Billing.Testing;
using VaultAI.Billing.Webhooks;

namespace VaultAI.Billing.EntityFramework.Tests;

/// <summary>The emulator's test clock drives trials and payments; its signed webhooks drive the host.</summary>
public sealed class WebhookEndToEndTests
{
    [Fact]
    public async Task TrialEndsAndPaymentSucceeds_OrganizationBecomesActiveWithAPaidInvoice()
    {
        await using var world = await World.StartAsync();
        var orgId = await world.RegisterAndLinkAsync();

        await world.Stripe.AdvanceTimeAsync(TimeSpan.FromDays(5));
        await world.Stripe.Deliveries.FlushAsync();

        var org = await world.OrganizationAsync(orgId);
        Assert.Equal(OrganizationStatus.Active, org.Status);
        Assert.NotNull(org.TrialWillEndNotifiedAt);
        await using var db = world.Host.CreateDbContext();
        var invoices = await db.Invoices.Where(i => i.OrganizationId == orgId).ToListAsync();
        Assert.Contains(invoices, i => i.Status == "paid" && i.AmountPaid == 1000 && i.Currency == "eur");
    }

    [Fact]
    public async Task FailingPayment_GoesPastDueThenRecoversWhenPaid()
    {
        await using var world = await World.StartAsync();
        var orgId = await world.RegisterAndLinkAsync();
        var customer = (await world.OrganizationAsync(orgId)).StripeCustomerId!;
        world.Stripe.SetPaymentOutcome(customer, PaymentOutcome.Fails);

        await world.Stripe.AdvanceTimeAsync(TimeSpan.FromDays(5));
        await world.Stripe.Deliveries.FlushAsync();
        var pastDue = await world.OrganizationAsync(orgId);
        Assert.Equal(OrganizationStatus.PastDue, pastDue.Status);
        Assert.NotNull(pastDue.PastDueSince);
        Assert.Contains(world.Stripe.Deliveries.Delivered, d => d.EventType == "invoice.payment_failed" && d.Succeeded);

        world.Stripe.SetPaymentOutcome(customer, PaymentOutcome.Succeeds);
        await world.Stripe.AdvanceTimeAsync(TimeSpan.FromDays(3));
        await world.Stripe.Deliveries.FlushAsync();
        var recovered = await world.OrganizationAsync(orgId);
        Assert.Equal(OrganizationStatus.Active, recovered.Status);
        Assert.Null(recovered.PastDueSince);
    }

    [Fact]
    public async Task TestClockAdvancedPastTrial_EndsTrialPaysInvoiceAndHostAppliesWebhooks()
    {
        await using var world = await World.StartAsync();
        var (orgId, clockId) = await world.RegisterAndLinkOnTestClockAsync("pm_card_visa");
        Assert.Equal(OrganizationStatus.Trial, (await world.OrganizationAsync(orgId)).Status);

        await world.AdvanceTestClockAsync(clockId, TimeSpan.FromDays(5));

        var org = await world.OrganizationAsync(orgId);
        Assert.Equal(OrganizationStatus.Active, org.Status);
        Assert.NotNull(org.TrialWillEndNotifiedAt);
        await using var db = world.Host.CreateDbContext();
        var invoices = await db.Invoices.Where(i => i.OrganizationId == orgId).ToListAsync();
        Assert.Contains(invoices, i => i.Status == "paid" && i.AmountPaid == 1000 && i.Currency == "eur");
        Assert.Contains(world.Stripe.Deliveries.Delivered, d => d.EventType == "invoice.paid" && d.Succeeded);
    }

    [Fact]
    public async Task TestClockAdvancedWithFailingPaymentMethod_OrganizationGoesPastDue()
    {
        await using var world = await World.StartAsync();
        var (orgId, clockId) = await world.RegisterAndLinkOnTestClockAsync("pm_card_chargeCustomerFail");

        await world.AdvanceTestClockAsync(clockId, TimeSpan.FromDays(5));

        var org = await world.OrganizationAsync(orgId);
        Assert.Equal(OrganizationStatus.PastDue, org.Status);
        Assert.NotNull(org.PastDueSince);
        Assert.Contains(world.Stripe.Deliveries.Delivered, d => d.EventType == "invoice.payment_failed" && d.Succeeded);
        await using var db = world.Host.CreateDbContext();
        // Only the trial's zero invoice is paid; the first charged one stays open.
        var invoices = await db.Invoices.Where(i => i.OrganizationId == orgId).ToListAsync();
        Assert.DoesNotContain(invoices, i => i.Status == "paid" && i.AmountPaid > 0);
        Assert.Contains(invoices, i => i.Status == "open" && i.AmountDue == 1000);
    }

    [Fact]
    public async Task CancelFromAdmin_OrganizationIsCanceledAndStaysCanceled()
    {
        await using var world = await World.StartAsync();
        var orgId = await world.RegisterAndLinkAsync();

        using var cancel = await world.Host.Admin.PostAsync($"/api/admin/organizations/{orgId}/cancel", null);
        cancel.EnsureSuccessStatusCode();
        await world.Stripe.Deliveries.FlushAsync();
        Assert.Equal(OrganizationStatus.Canceled, (await world.OrganizationAsync(orgId)).Status);

        // Later clock movement (and any late events) does not revive it.
        await world.Stripe.AdvanceTimeAsync(TimeSpan.FromDays(40));
        await world.Stripe.Deliveries.FlushAsync();
        Assert.Equal(OrganizationStatus.Canceled, (await world.OrganizationAsync(orgId)).Status);
    }

    [Fact]
    public async Task CheckoutCompleted_LinksThePendingOrganization()
    {
        await using var world = await World.StartAsync();
        var orgId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(world.Host.Client, orgId);
        var stripeClient = world.Host.Services.GetRequiredService<StripeClient>();
        var session = await stripeClient.V1.Checkout.Sessions.CreateAsync(new SessionCreateOptions
        {
            Mode = "subscription",
            LineItems = [new SessionLineItemOptions { Price = world.PriceId, Quantity = 1 }],
            SuccessUrl = "https://billing.example/success",
            CancelUrl = "https://billing.example/cancel",
            CustomerEmail = "buyer@acme.example",
            ClientReferenceId = orgId.ToString(),
            SubscriptionData = new SessionSubscriptionDataOptions { TrialPeriodDays = 4 },
        });

        var subscriptionId = await world.Stripe.CompleteCheckoutAsync(session.Id);
        await world.Stripe.Deliveries.FlushAsync();

        var org = await world.OrganizationAsync(orgId);
        Assert.Equal(subscriptionId, org.StripeSubscriptionId);
        Assert.NotNull(org.StripeCustomerId);
        Assert.Equal(OrganizationStatus.Trial, org.Status);
        Assert.Equal(BillingTestHost.PlanKey, org.PlanKey);
    }

    [Fact]
    public async Task SubscriptionCreatedInStripeWithOrganizationMetadata_LinksThePendingOrganization()
    {
        await using var world = await World.StartAsync();
        var orgId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(world.Host.Client, orgId);

        // What Stripe sends when our own link has not committed yet, or when someone subscribes the customer by hand.
        var stripeClient = world.Host.Services.GetRequiredService<StripeClient>();
        var customer = await stripeClient.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "ops@acme.example" });
        var subscription = await stripeClient.V1.Subscriptions.CreateAsync(new SubscriptionCreateOptions
        {
            Customer = customer.Id,
            Items = [new SubscriptionItemOptions { Price = world.PriceId, Quantity = 1 }],
            TrialPeriodDays = 4,
            Metadata = new Dictionary<string, string> { ["organization_id"] = orgId.ToString(), ["deployment_type"] = "managed-cloud" },
        });
        await world.Stripe.Deliveries.FlushAsync();

        var org = await world.OrganizationAsync(orgId);
        Assert.Equal(subscription.Id, org.StripeSubscriptionId);
        Assert.Equal(customer.Id, org.StripeCustomerId);
        Assert.Equal(OrganizationStatus.Trial, org.Status);
        Assert.Equal(BillingTestHost.PlanKey, org.PlanKey);
        Assert.Equal("managed-cloud", org.DeploymentType);

        // A later link by hand is refused as already linked, and nothing new is created in Stripe.
        using var link = await InstanceCalls.LinkAsync(world.Host.Admin, orgId);
        Assert.Equal(System.Net.HttpStatusCode.Conflict, link.StatusCode);
        Assert.Single(world.Stripe.State.Subscriptions);
    }

    [Fact]
    public async Task ReplayTwice_AppliesMissedEventsOnceAndChangesNothingTheSecondTime()
    {
        await using var world = await World.StartAsync(deliverWebhooks: false);
        var since = world.Stripe.Clock.GetUtcNow();
        var orgId = await world.RegisterAndLinkAsync();
        await world.Stripe.AdvanceTimeAsync(TimeSpan.FromDays(5));
        Assert.Equal(OrganizationStatus.Trial, (await world.OrganizationAsync(orgId)).Status); // nothing delivered

        using (var first = await world.Host.Admin.PostAsync($"/api/admin/webhooks/replay?since={Uri.EscapeDataString(since.ToString("O"))}", null))
        {
            var json = await InstanceCalls.ReadJsonAsync(first);
            Assert.True(json.GetProperty("processed").GetInt32() > 0, json.ToString());
            Assert.Equal(0, json.GetProperty("failed").GetInt32());
        }

        var afterFirst = await world.OrganizationAsync(orgId);
        Assert.Equal(OrganizationStatus.Active, afterFirst.Status);
        int inboxAfterFirst;
        await using (var db = world.Host.CreateDbContext())
        {
            inboxAfterFirst = await db.WebhookEvents.CountAsync();
        }

        using (var second = await world.Host.Admin.PostAsync($"/api/admin/webhooks/replay?since={Uri.EscapeDataString(since.ToString("O"))}", null))
        {
            var json = await InstanceCalls.ReadJsonAsync(second);
            Assert.Equal(0, json.GetProperty("processed").GetInt32());
            Assert.Equal(json.GetProperty("listed").GetInt32(), json.GetProperty("already_known").GetInt32());
        }

        var afterSecond = await world.OrganizationAsync(orgId);
        Assert.Equal(afterFirst.Version, afterSecond.Version);
        Assert.Equal(afterFirst.Status, afterSecond.Status);
        await using (var db = world.Host.CreateDbContext())
        {
            Assert.Equal(inboxAfterFirst, await db.WebhookEvents.CountAsync());
            Assert.Equal(0, await db.WebhookEvents.CountAsync(e => e.Status == WebhookEventStatus.Failed));
        }
    }

    /// <summary>An emulator, a host wired to receive its webhooks, and a licensed monthly price of 10.00 EUR.</summary>
    private sealed class World : IAsyncDisposable
    {
        private World(StripeEmulator stripe, BillingTestHost host, string priceId)
        {
            Stripe = stripe;
            Host = host;
            PriceId = priceId;
        }

        public StripeEmulator Stripe { get; }

        public BillingTestHost Host { get; }

        public string PriceId { get; }

        public static async Task<World> StartAsync(bool deliverWebhooks = true)
        {
            var stripe = await StripeEmulator.StartAsync();
            var price = await EmulatorCatalog.CreateLicensedPriceAsync(stripe, unitAmount: 1000);
            var host = await BillingTestHost.StartAsync(stripe, price);
            if (deliverWebhooks)
            {
                stripe.AddWebhookEndpoint(new Uri(host.BaseAddress, "/api/stripe/webhook"));
            }

            return new World(stripe, host, price);
        }

        public async Task<Guid> RegisterAndLinkAsync()
        {
            var orgId = Guid.NewGuid();
            await InstanceCalls.RegisterAsync(Host.Client, orgId);
            (await InstanceCalls.LinkAsync(Host.Admin, orgId, trialDays: 4)).EnsureSuccessStatusCode();
            await Stripe.Deliveries.FlushAsync();
            return orgId;
        }

        /// <summary>
        /// Registers an organization whose Stripe customer lives on a new Stripe test clock (made through Stripe.net,
        /// as a developer would in test mode), with the given test payment method; linking finds that customer by
        /// its <c>organization_id</c> metadata and subscribes it with a 4-day trial.
        /// </summary>
        public async Task<(Guid OrganizationId, string TestClockId)> RegisterAndLinkOnTestClockAsync(string paymentMethod)
        {
            var orgId = Guid.NewGuid();
            await InstanceCalls.RegisterAsync(Host.Client, orgId);
            var stripe = Host.Services.GetRequiredService<StripeClient>();
            var clock = await stripe.V1.TestHelpers.TestClocks.CreateAsync(new TestClockCreateOptions { FrozenTime = Stripe.Clock.GetUtcNow().UtcDateTime, Name = "trial" });
            await stripe.V1.Customers.CreateAsync(new CustomerCreateOptions
            {
                Email = "ops@acme.example",
                TestClock = clock.Id,
                PaymentMethod = paymentMethod,
                InvoiceSettings = new CustomerInvoiceSettingsOptions { DefaultPaymentMethod = paymentMethod },
                Metadata = new Dictionary<string, string> { ["organization_id"] = orgId.ToString() },
            });

            (await InstanceCalls.LinkAsync(Host.Admin, orgId, trialDays: 4)).EnsureSuccessStatusCode();
            await Stripe.Deliveries.FlushAsync();
            Assert.Single(Stripe.State.Customers); // linking reused the customer on the clock
            return (orgId, clock.Id);
        }

        /// <summary>Advances a test clock through Stripe.net, waits until Stripe reports it ready, then for the webhooks.</summary>
        public async Task AdvanceTestClockAsync(string clockId, TimeSpan by)
        {
            var stripe = Host.Services.GetRequiredService<StripeClient>();
            var clock = await stripe.V1.TestHelpers.TestClocks.GetAsync(clockId);
            await stripe.V1.TestHelpers.TestClocks.AdvanceAsync(clockId, new TestClockAdvanceOptions { FrozenTime = clock.FrozenTime + by });
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while ((await stripe.V1.TestHelpers.TestClocks.GetAsync(clockId)).Status != "ready")
            {
                Assert.True(DateTime.UtcNow < deadline, "the test clock did not become ready");
                await Task.Delay(20);
            }

            await Stripe.Deliveries.FlushAsync();
        }

        public async Task<Organization> OrganizationAsync(Guid orgId)
        {
            await using var db = Host.CreateDbContext();
            return await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == orgId);
        }

        public async ValueTask DisposeAsync()
        {
            await Host.DisposeAsync();
            await Stripe.DisposeAsync();
        }
    }
}
