using System.Net;
using Microsoft.EntityFrameworkCore;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Plans;

/// <summary>Linking and Checkout subscribe to every item of a plan; a free plan gets no Stripe subscription.</summary>
public sealed class PlanLinkingTests : IAsyncLifetime
{
    private StripeEmulator _stripe = null!;
    private BillingTestHost _host = null!;
    private string _base = "", _minutes = "";

    public async Task InitializeAsync()
    {
        _stripe = await StripeEmulator.StartAsync();
        var setup = new global::Stripe.StripeClient(new global::Stripe.StripeClientOptions { ApiKey = _stripe.ApiKey, ApiBase = _stripe.BaseAddress.ToString().TrimEnd('/') });
        var meter = await SeedPricingWorld.MeterAsync(setup, "call_minutes", "sum");
        var product = await SeedPricingWorld.ProductAsync(setup, "Vapi Base + Minutes");
        _base = await SeedPricingWorld.LicensedPriceAsync(setup, product, "usd", 9900);
        _minutes = await SeedPricingWorld.IncludedThenOverageAsync(setup, product, "usd", meter, 100_000, 0.05m);
        _host = await BillingTestHost.StartAsync(_stripe, "price_unused", configure: o =>
        {
            o.Metrics["call_minutes"] = new MetricDefinition { Aggregation = MetricAggregation.Sum, Decimals = 2, MeterEventName = "call_minutes" };
            o.Plans["vapi-included"] = new BillingPlan
            {
                Currency = "usd",
                MonthlyPriceId = _base,
                MonthlyAmount = 9900,
                TrialDays = 0,
                Metrics = { ["call_minutes"] = new PlanMetric { Included = 1000, OveragePriceId = _minutes, OverageUnitAmount = 5 } },
            };
            o.Plans["free"] = new BillingPlan { DisplayName = "Free", Metrics = { ["call_minutes"] = new PlanMetric { Limit = 60 } } };
        });
        _stripe.AddWebhookEndpoint(new Uri(_host.BaseAddress, "/api/stripe/webhook"));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _stripe.DisposeAsync();
    }

    [Fact]
    public async Task Link_FreePlan_CustomerButNoSubscriptionAndActive()
    {
        var orgId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(_host.Client, orgId);

        using var link = await _host.Admin.PostAsync($"/api/admin/organizations/{orgId}/link", InstanceCalls.Json("""{"admin_email":"ops@acme.example","deployment_type":"managed-cloud","plan_type":"free"}"""));

        Assert.True(link.IsSuccessStatusCode, await link.Content.ReadAsStringAsync());
        Assert.Single(_stripe.State.Customers);
        Assert.Empty(_stripe.State.Subscriptions);
        await using var db = _host.CreateDbContext();
        var org = await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == orgId);
        Assert.Equal(("free", OrganizationStatus.Active, (string?)null), (org.PlanKey, org.Status, org.StripeSubscriptionId));
        Assert.Equal(_stripe.State.Customers.Single().Id, org.StripeCustomerId);
    }

    [Fact]
    public async Task Link_FreePlan_ShowsActiveOnTheFreePlanInStatusListAndRevenue()
    {
        var orgId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(_host.Client, orgId);
        using (var link = await _host.Admin.PostAsync($"/api/admin/organizations/{orgId}/link", InstanceCalls.Json("""{"admin_email":"ops@acme.example","deployment_type":"managed-cloud","plan_type":"free"}""")))
        {
            Assert.True(link.IsSuccessStatusCode, await link.Content.ReadAsStringAsync());
        }

        using var statusResponse = await InstanceCalls.SendAsync(_host.Client, HttpMethod.Get, $"/api/organizations/{orgId}/status", token, null);
        var status = await InstanceCalls.ReadJsonAsync(statusResponse);
        using var listResponse = await _host.Admin.GetAsync("/api/admin/organizations?linked=true");
        var list = await InstanceCalls.ReadJsonAsync(listResponse);
        using var revenueResponse = await _host.Admin.GetAsync("/api/admin/revenue");
        var revenue = await InstanceCalls.ReadJsonAsync(revenueResponse);

        Assert.Equal(HttpStatusCode.OK, statusResponse.StatusCode);
        Assert.Equal(("active", "free", true, "active"), (
            status.GetProperty("subscription_status").GetString(),
            status.GetProperty("plan_type").GetString(),
            status.GetProperty("entitlements").GetProperty("entitled").GetBoolean(),
            status.GetProperty("entitlements").GetProperty("reason").GetString()));
        Assert.Equal(HttpStatusCode.OK, listResponse.StatusCode);
        Assert.Equal((1, 0), (list.GetProperty("summary").GetProperty("linked").GetInt32(), list.GetProperty("summary").GetProperty("pending").GetInt32()));
        var linked = Assert.Single(list.GetProperty("organizations").GetProperty("linked").EnumerateArray());
        Assert.Equal(orgId, linked.GetProperty("id").GetGuid());
        Assert.Empty(list.GetProperty("organizations").GetProperty("pending").EnumerateArray());
        Assert.Equal(HttpStatusCode.OK, revenueResponse.StatusCode);
        var free = revenue.GetProperty("plans").EnumerateArray().Single(p => p.GetProperty("plan").GetString() == "free");
        Assert.Equal((1, 0L), (free.GetProperty("organizations").GetInt32(), free.GetProperty("mrr").GetInt64()));
    }

    [Fact]
    public async Task Checkout_PlanWithOverage_SubscribesBaseAndMeteredItemAndWebhookRecognisesThePlan()
    {
        var orgId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(_host.Client, orgId);
        using var checkout = await _host.Admin.PostAsync(
            $"/api/admin/organizations/{orgId}/checkout",
            InstanceCalls.Json("""{"plan_type":"vapi-included","deployment_type":"managed-cloud","success_url":"https://app.example/ok","cancel_url":"https://app.example/no"}"""));
        var session = await InstanceCalls.ReadJsonAsync(checkout);
        Assert.Equal(HttpStatusCode.OK, checkout.StatusCode);

        await _stripe.CompleteCheckoutAsync(session.GetProperty("session_id").GetString()!);
        await _stripe.Deliveries.FlushAsync();

        var subscription = Assert.Single(_stripe.State.Subscriptions);
        Assert.Equal([(_base, (long?)1), (_minutes, null)], subscription.Items.Select(i => (i.PriceId, i.Quantity)).ToArray());
        Assert.Equal("active", subscription.Status);
        await using var db = _host.CreateDbContext();
        var org = await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == orgId);
        Assert.Equal(("vapi-included", subscription.Id), (org.PlanKey, org.StripeSubscriptionId));
    }

    [Fact]
    public async Task Checkout_FreePlan_Is400NamingPlanType()
    {
        var orgId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(_host.Client, orgId);

        using var checkout = await _host.Admin.PostAsync(
            $"/api/admin/organizations/{orgId}/checkout",
            InstanceCalls.Json("""{"plan_type":"free","deployment_type":"managed-cloud","success_url":"https://app.example/ok","cancel_url":"https://app.example/no"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, checkout.StatusCode);
        Assert.Equal("plan_type", (await InstanceCalls.ReadJsonAsync(checkout)).GetProperty("field").GetString());
        Assert.Empty(_stripe.State.Customers);
    }
}
