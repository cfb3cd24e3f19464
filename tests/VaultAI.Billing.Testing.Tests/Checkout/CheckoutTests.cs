using System.Net;
using VaultAI.Billing.Testing.Tests.Support;

namespace VaultAI.Billing.Testing.Tests.Checkout;

public class CheckoutTests
{
    private static readonly DateTimeOffset Start = new(2026, 2, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task CompleteCheckout_CreatesCustomerAndTrialSubscription_AndEmitsCompleted()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        await using var receiver = await WebhookReceiver.StartAsync(stripe);
        using var http = new StripeHttp(stripe);
        var (_, price) = await Catalog.LicensedMonthlyAsync(http, 2000);

        var session = await http.PostAsync(
            "/v1/checkout/sessions",
            $"mode=subscription&line_items[0][price]={price}&line_items[0][quantity]=1&success_url=https%3A%2F%2Fexample.com%2Fok&cancel_url=https%3A%2F%2Fexample.com%2Fno&customer_email=buyer%40example.com&client_reference_id=org-42&metadata[organization_id]=org-42&subscription_data[trial_period_days]=4&subscription_data[metadata][organization_id]=org-42");
        Assert.Equal(HttpStatusCode.OK, session.Status);
        Assert.StartsWith("cs_", session.Str("id"));
        Assert.Equal(new Uri(stripe.BaseAddress, $"checkout/{session.Str("id")}").ToString(), session.Str("url"));

        var subscriptionId = await stripe.CompleteCheckoutAsync(session.Str("id"));

        var customer = Assert.Single(stripe.State.Customers);
        Assert.Equal("buyer@example.com", customer.Email);
        var sub = Assert.Single(stripe.State.Subscriptions);
        Assert.Equal(subscriptionId, sub.Id);
        Assert.Equal("trialing", sub.Status);
        Assert.Equal(Start.AddDays(4), sub.TrialEnd);
        Assert.Equal("org-42", sub.Metadata["organization_id"]);
        var completed = Assert.Single(receiver.Received, r => r.Type == "checkout.session.completed");
        Assert.True(completed.SignatureValid);
        Assert.Equal(customer.Id, completed.Object["customer"]!.GetValue<string>());
        Assert.Equal(subscriptionId, completed.Object["subscription"]!.GetValue<string>());
        Assert.Equal("org-42", completed.Object["client_reference_id"]!.GetValue<string>());
        Assert.Equal("org-42", completed.Object["metadata"]!["organization_id"]!.GetValue<string>());
        Assert.Equal("subscription", completed.Object["mode"]!.GetValue<string>());
        Assert.Equal("complete", completed.Object["status"]!.GetValue<string>());
        Assert.Contains(receiver.Received, r => r.Type == "customer.created");
        Assert.Contains(receiver.Received, r => r.Type == "customer.subscription.created");
    }

    [Fact]
    public async Task CheckoutPage_CompleteButton_RedirectsToSuccessUrl()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        var (_, price) = await Catalog.LicensedMonthlyAsync(http, 2000);
        var customer = await Catalog.CustomerAsync(http);
        var session = await http.PostAsync(
            "/v1/checkout/sessions",
            $"mode=subscription&line_items[0][price]={price}&line_items[0][quantity]=1&customer={customer}&success_url=https%3A%2F%2Fexample.com%2Fok%3Fs%3D%7BCHECKOUT_SESSION_ID%7D");
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });

        var page = await browser.GetStringAsync(session.Str("url"));
        using var post = await browser.PostAsync(new Uri(stripe.BaseAddress, $"checkout/{session.Str("id")}/complete"), null);

        Assert.Contains("Complete", page);
        Assert.Equal(HttpStatusCode.SeeOther, post.StatusCode);
        Assert.Equal($"https://example.com/ok?s={session.Str("id")}", post.Headers.Location!.ToString());
        var sub = Assert.Single(stripe.State.Subscriptions);
        Assert.Equal(customer, sub.CustomerId);
        Assert.Equal("active", sub.Status);
        var retrieved = await http.GetAsync($"/v1/checkout/sessions/{session.Str("id")}");
        Assert.Equal(sub.Id, retrieved.Str("subscription"));
    }

    [Fact]
    public async Task CheckoutSession_QuantityMissingForLicensedPrice_Returns400()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        var (_, price) = await Catalog.LicensedMonthlyAsync(http, 2000);

        var response = await http.PostAsync("/v1/checkout/sessions", $"mode=subscription&line_items[0][price]={price}&success_url=https%3A%2F%2Fexample.com");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("line_items[0][quantity]", response.Error["param"]!.GetValue<string>());
    }

    [Fact]
    public async Task PortalSession_ServesAPageForTheCustomer()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        var (_, price) = await Catalog.LicensedMonthlyAsync(http, 2000);
        var customer = await Catalog.CustomerAsync(http);
        var subId = await http.CreateAsync("/v1/subscriptions", $"customer={customer}&items[0][price]={price}");

        var portal = await http.PostAsync("/v1/billing_portal/sessions", $"customer={customer}&return_url=https%3A%2F%2Fexample.com%2Fback");
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var page = await browser.GetStringAsync(portal.Str("url"));
        using var cancel = await browser.PostAsync(new Uri(stripe.BaseAddress, $"portal/{portal.Str("id")}/cancel/{subId}"), null);

        Assert.StartsWith("bps_", portal.Str("id"));
        Assert.Equal("billing_portal.session", portal.Str("object"));
        Assert.Contains(subId, page);
        Assert.Contains("https://example.com/back", page);
        Assert.Equal(HttpStatusCode.SeeOther, cancel.StatusCode);
        Assert.True(stripe.State.Subscriptions.Single().CancelAtPeriodEnd);
    }
}
