using System.Net;
using Microsoft.EntityFrameworkCore;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests;

public sealed class LinkingTests
{
    [Fact]
    public async Task ConcurrentLinkCalls_EndWithOneCustomerAndOneSubscription()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var orgId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(host.Client, orgId);

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => InstanceCalls.LinkAsync(host.Admin, orgId)));

        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, r.StatusCode.ToString()));
        Assert.Single(stripe.State.Customers);
        Assert.Single(stripe.State.Subscriptions);
        await using var db = host.CreateDbContext();
        var org = await db.Organizations.SingleAsync();
        Assert.Equal(stripe.State.Customers.Single().Id, org.StripeCustomerId);
        Assert.Equal(stripe.State.Subscriptions.Single().Id, org.StripeSubscriptionId);
    }

    [Fact]
    public async Task LinkingALinkedOrganization_Answers409()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var orgId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(host.Client, orgId);
        (await InstanceCalls.LinkAsync(host.Admin, orgId)).EnsureSuccessStatusCode();

        using var again = await InstanceCalls.LinkAsync(host.Admin, orgId);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("already_linked", (await InstanceCalls.ReadJsonAsync(again)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task StripeFailingMidLink_LeavesOrganizationPendingAnswers502ThenRetrySucceedsWithOneCustomer()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price, configure: o => o.Stripe.MaxRetries = 0);
        var orgId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(host.Client, orgId);

        // The customer is created, then the subscription call fails.
        stripe.InjectFault("/v1/subscriptions", StripeFault.Status(500), count: 1);
        using (var failed = await InstanceCalls.LinkAsync(host.Admin, orgId))
        {
            Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
            Assert.Equal("application/problem+json", failed.Content.Headers.ContentType?.MediaType);
            var problem = await InstanceCalls.ReadJsonAsync(failed);
            Assert.Equal("stripe_error", problem.GetProperty("code").GetString());
            Assert.StartsWith("req_", problem.GetProperty("stripe_request_id").GetString(), StringComparison.Ordinal);
        }

        await using (var db = host.CreateDbContext())
        {
            var org = await db.Organizations.SingleAsync();
            Assert.Equal("pending", org.Status);
            Assert.Null(org.StripeCustomerId);
            Assert.Null(org.StripeSubscriptionId);
        }

        Assert.Single(stripe.State.Customers);
        Assert.Empty(stripe.State.Subscriptions);

        (await InstanceCalls.LinkAsync(host.Admin, orgId)).EnsureSuccessStatusCode();
        Assert.Single(stripe.State.Customers);
        Assert.Single(stripe.State.Subscriptions);
    }

    [Fact]
    public async Task AutomaticLinking_RegistrationCreatesCustomerAndTrialSubscription()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price, configure: o =>
        {
            o.LinkingMode = LinkingMode.Automatic;
            o.AutomaticPlan = BillingTestHost.PlanKey;
        });
        var orgId = Guid.NewGuid();

        using var response = await host.Client.PostAsync("/api/organizations/register", InstanceCalls.Json($$"""{"organization_id":"{{orgId}}","organization_name":"Acme","email":"admin@acme.example"}"""));
        var json = await InstanceCalls.ReadJsonAsync(response);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("trial", json.GetProperty("organization_status").GetString());
        Assert.Equal(stripe.State.Customers.Single().Id, json.GetProperty("stripe_customer_id").GetString());
        Assert.Equal(stripe.State.Subscriptions.Single().Id, json.GetProperty("stripe_subscription_id").GetString());
        Assert.Equal(JsonValueKindString, json.GetProperty("trial_end").ValueKind);
    }

    private const System.Text.Json.JsonValueKind JsonValueKindString = System.Text.Json.JsonValueKind.String;
}
