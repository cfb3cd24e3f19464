using System.Net;
using Microsoft.EntityFrameworkCore;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests;

public sealed class CheckoutAndEntitlementTests
{
    [Fact]
    public async Task CheckoutLink_IsIdempotentAndCompletingItLinksTheOrganization()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        stripe.AddWebhookEndpoint(new Uri(host.BaseAddress, "/api/stripe/webhook"));
        var orgId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(host.Client, orgId);
        const string Body = """{"plan_type":"self-hosted","deployment_type":"managed-cloud","success_url":"https://billing.example/ok","cancel_url":"https://billing.example/no","customer_email":"owner@acme.example"}""";

        using var first = await host.Admin.PostAsync($"/api/admin/organizations/{orgId}/checkout", InstanceCalls.Json(Body));
        using var second = await host.Admin.PostAsync($"/api/admin/organizations/{orgId}/checkout", InstanceCalls.Json(Body));
        var a = await InstanceCalls.ReadJsonAsync(first);
        var b = await InstanceCalls.ReadJsonAsync(second);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(a.GetProperty("session_id").GetString(), b.GetProperty("session_id").GetString());
        Assert.StartsWith(stripe.BaseAddress.ToString(), a.GetProperty("url").GetString(), StringComparison.Ordinal);

        await stripe.CompleteCheckoutAsync(a.GetProperty("session_id").GetString()!);
        await stripe.Deliveries.FlushAsync();

        await using var db = host.CreateDbContext();
        var org = await db.Organizations.SingleAsync();
        Assert.Equal(OrganizationStatus.Trial, org.Status);
        Assert.Equal("managed-cloud", org.DeploymentType);
        Assert.Equal(BillingTestHost.PlanKey, org.PlanKey);
        Assert.Equal(stripe.State.Subscriptions.Single().Id, org.StripeSubscriptionId);

        using var again = await host.Admin.PostAsync($"/api/admin/organizations/{orgId}/checkout", InstanceCalls.Json(Body));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        using var portal = await host.Admin.PostAsync($"/api/admin/organizations/{orgId}/portal", InstanceCalls.Json("""{"return_url":"https://billing.example/account"}"""));
        Assert.Equal(HttpStatusCode.OK, portal.StatusCode);
        Assert.StartsWith("bps_", (await InstanceCalls.ReadJsonAsync(portal)).GetProperty("session_id").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"plan_type":"nope","deployment_type":"on-premise","success_url":"https://a.example/","cancel_url":"https://a.example/"}""", "plan_type")]
    [InlineData("""{"plan_type":"self-hosted","deployment_type":"on-premise","success_url":"not a url","cancel_url":"https://a.example/"}""", "success_url")]
    [InlineData("""{"plan_type":"self-hosted","deployment_type":"on-premise","success_url":"https://a.example/","cancel_url":"ftp://a.example/"}""", "cancel_url")]
    [InlineData("""{"plan_type":"self-hosted","deployment_type":"on-premise","success_url":"https://a.example/","cancel_url":"https://a.example/","customer_email":"nobody"}""", "customer_email")]
    public async Task CheckoutLink_BadRequest_NamesTheFieldAndCallsNoStripe(string body, string field)
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var orgId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(host.Client, orgId);

        using var response = await host.Admin.PostAsync($"/api/admin/organizations/{orgId}/checkout", InstanceCalls.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (await InstanceCalls.ReadJsonAsync(response)).GetProperty("field").GetString());
        Assert.DoesNotContain(stripe.Requests, r => r.Path.StartsWith("/v1/checkout", StringComparison.Ordinal));
    }
}
