using System.Net;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.Client.Tests.EndToEnd;

/// <summary>The client's self-service methods against the real billing host (PostgreSQL) and the Stripe emulator.</summary>
public sealed class RealBillingHostSelfServiceTests
{
    private static readonly Uri Ok = new("https://app.example.com/billing/ok");
    private static readonly Uri Back = new("https://app.example.com/billing");

    [Fact]
    public async Task SelfServiceMethods_PendingThenLinkedOrganization_ReadAndActOnItsOwnBilling()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var basicPrice = await EmulatorCatalog.CreateLicensedPriceAsync(stripe, 2000);
        var proPrice = await EmulatorCatalog.CreateLicensedPriceAsync(stripe, 5000);
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused", configure: options =>
        {
            options.Plans["basic"] = new BillingPlan { DisplayName = "Basic", MonthlyPriceId = basicPrice, LicensedQuantity = 3 };
            options.Plans["pro"] = new BillingPlan { DisplayName = "Pro", MonthlyPriceId = proPrice, LicensedQuantity = 3 };
            options.AllowedRedirectOrigins = ["https://app.example.com"];
        });
        stripe.AddWebhookEndpoint(new Uri(host.BaseAddress, "/api/stripe/webhook"));
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(host.BaseAddress, folder.Path, stripe.Clock);
        var client = instance.Client;

        // Pending: no plan, an offer to check out, nothing to manage in the portal yet.
        var pending = await client.GetSubscriptionAsync();
        Assert.Equal("pending", pending.Status);
        Assert.Null(pending.PlanType);
        Assert.Null(pending.NextInvoice);
        var checkout = await client.CreateCheckoutLinkAsync("basic", "monthly", Ok, Back);
        Assert.False(checkout.ChangedInPlace);
        Assert.StartsWith(stripe.BaseAddress.ToString(), checkout.Url!.ToString(), StringComparison.Ordinal);
        var notLinked = await Assert.ThrowsAsync<VaultAIBillingException>(() => client.CreatePortalLinkAsync(Back));
        Assert.Equal(HttpStatusCode.Conflict, notLinked.StatusCode);
        Assert.Equal("not_linked", notLinked.Problem?.Code);
        Assert.Empty(await client.GetPaymentMethodsAsync());
        Assert.Equal(0, (await client.GetCreditsAsync()).Balance);

        // Linked to basic (3 seats at 20 EUR), a card on file, 10 EUR of credit granted by an admin.
        using (var link = await host.Admin.PostAsync(
            $"/api/admin/organizations/{ClientHarness.DefaultOrganizationId}/link",
            Json("""{"admin_email":"billing@acme.example","deployment_type":"on-premise","plan_type":"basic","trial_days":0}""")))
        {
            Assert.Equal(HttpStatusCode.OK, link.StatusCode);
        }

        await stripe.Deliveries.FlushAsync();
        var stripeClient = new global::Stripe.StripeClient(new global::Stripe.StripeClientOptions { ApiKey = stripe.ApiKey, ApiBase = stripe.BaseAddress.ToString().TrimEnd('/') });
        var customerId = stripe.State.Customers.Single().Id;
        await stripeClient.V1.Customers.UpdateAsync(customerId, new global::Stripe.CustomerUpdateOptions { InvoiceSettings = new global::Stripe.CustomerInvoiceSettingsOptions { DefaultPaymentMethod = "pm_card_visa" } });
        using (var credit = await host.Admin.PostAsync(
            $"/api/admin/organizations/{ClientHarness.DefaultOrganizationId}/credits",
            Json("""{"amount":1000,"currency":"eur","reason":"Welcome credit"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, credit.StatusCode);
        }

        var subscription = await client.GetSubscriptionAsync();
        Assert.Equal("basic", subscription.PlanType);
        Assert.Equal("Basic", subscription.PlanName);
        Assert.Equal("monthly", subscription.BillingInterval);
        Assert.Equal("active", subscription.Status);
        Assert.Equal(3, subscription.Seats);
        Assert.NotNull(subscription.CurrentPeriodEnd);
        Assert.Equal(new UpcomingInvoice(5000, "eur", subscription.CurrentPeriodEnd), subscription.NextInvoice); // 60 EUR less 10 of credit
        Assert.Contains(subscription.Metrics, m => m.Metric == "active_users" && m.Limit is null);

        var invoices = await client.GetInvoicesAsync(limit: 10);
        var first = Assert.Single(invoices.Invoices);
        Assert.False(invoices.HasMore);
        Assert.Equal(6000, first.Total);
        Assert.Equal("eur", first.Currency);
        Assert.NotNull(first.InvoicePdf);
        Assert.NotNull(first.HostedInvoiceUrl);
        Assert.Empty((await client.GetInvoicesAsync(startingAfter: first.Id)).Invoices);

        var card = Assert.Single(await client.GetPaymentMethodsAsync());
        Assert.Equal(("visa", "4242", true), (card.Brand, card.Last4, card.IsDefault));

        var credits = await client.GetCreditsAsync();
        Assert.Equal(1000, credits.Balance);
        Assert.Equal("eur", credits.Currency);
        var granted = Assert.Single(credits.History);
        Assert.Equal((1000L, "Welcome credit"), (granted.Amount, granted.Description));

        var portal = await client.CreatePortalLinkAsync(Back);
        Assert.StartsWith(new Uri(stripe.BaseAddress, "portal/").ToString(), portal.ToString(), StringComparison.Ordinal);

        // With a card on file, an upgrade happens at once.
        var upgrade = await client.CreateCheckoutLinkAsync("pro", "monthly", Ok, Back);
        Assert.True(upgrade.ChangedInPlace);
        Assert.Null(upgrade.Url);
        Assert.Equal("pro", (await client.GetSubscriptionAsync()).PlanType);
    }

    [Fact]
    public async Task SelfServiceMethods_RefusedInput_ThrowTheHostsProblemNamingTheField()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused", configure: options => options.AllowedRedirectOrigins = ["https://app.example.com"]);
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(host.BaseAddress, folder.Path, stripe.Clock);

        var outside = await Assert.ThrowsAsync<VaultAIBillingException>(
            () => instance.Client.CreateCheckoutLinkAsync("self-hosted", "monthly", new Uri("https://evil.example/ok"), Back));
        var unknownPlan = await Assert.ThrowsAsync<VaultAIBillingException>(
            () => instance.Client.CreateCheckoutLinkAsync("gold", "monthly", Ok, Back));
        var portal = await Assert.ThrowsAsync<VaultAIBillingException>(() => instance.Client.CreatePortalLinkAsync(new Uri("https://evil.example/")));

        Assert.Equal((HttpStatusCode.BadRequest, "success_url", "redirect_not_allowed"), (outside.StatusCode!.Value, outside.Problem?.Field, outside.Problem?.Code));
        Assert.Equal((HttpStatusCode.BadRequest, "plan_type"), (unknownPlan.StatusCode!.Value, unknownPlan.Problem?.Field));
        Assert.Equal((HttpStatusCode.BadRequest, "return_url"), (portal.StatusCode!.Value, portal.Problem?.Field));
        Assert.False(outside.IsTransient);
        Assert.DoesNotContain(stripe.Requests, r => r.Method == "POST");
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => instance.Client.GetInvoicesAsync(limit: 0));
        await Assert.ThrowsAsync<ArgumentException>(() => instance.Client.CreatePortalLinkAsync(new Uri("/billing", UriKind.Relative)));
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");
}
