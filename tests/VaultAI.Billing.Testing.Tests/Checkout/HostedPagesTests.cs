using System.Net;
using VaultAI.Billing.Testing.Tests.Support;

namespace VaultAI.Billing.Testing.Tests.Checkout;

/// <summary>The hosted Checkout and billing portal pages, driven over HTTP as a browser submits their forms.</summary>
public class HostedPagesTests
{
    [Fact]
    public async Task CheckoutPage_TestCard_CreatesSubscriptionAttachesCardFiresWebhooksAndRedirects()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(stripe);
        using var http = new StripeHttp(stripe);
        var session = await CheckoutSessionAsync(http);
        using var browser = Browser();

        using var post = await SubmitCardAsync(browser, stripe, session, "4242 4242 4242 4242");
        await stripe.Deliveries.FlushAsync();

        Assert.Equal(HttpStatusCode.SeeOther, post.StatusCode);
        Assert.Equal($"https://app.example.com/billing?session={session}", post.Headers.Location!.ToString());
        var sub = Assert.Single(stripe.State.Subscriptions);
        Assert.Equal("trialing", sub.Status);
        var customer = Assert.Single(stripe.State.Customers);
        var cards = await http.GetAsync($"/v1/customers/{customer.Id}/payment_methods");
        Assert.Equal("4242", cards.Json["data"]![0]!["card"]!["last4"]!.GetValue<string>());
        Assert.Contains("checkout.session.completed", receiver.Types);
        Assert.Contains("customer.subscription.created", receiver.Types);
        Assert.All(receiver.Received, r => Assert.True(r.SignatureValid));
    }

    [Theory]
    [InlineData("4000 0000 0000 0002", "Your card was declined.")]
    [InlineData("4000000000009995", "insufficient funds")]
    [InlineData("1234 5678 9012 3456", "test cards")]
    public async Task CheckoutPage_DecliningCard_ShowsTheErrorWithTheFormAndCreatesNothing(string card, string message)
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(stripe);
        using var http = new StripeHttp(stripe);
        var session = await CheckoutSessionAsync(http);
        using var browser = Browser();

        using var post = await SubmitCardAsync(browser, stripe, session, card);
        var page = await post.Content.ReadAsStringAsync();
        await stripe.Deliveries.FlushAsync();

        Assert.Equal(HttpStatusCode.PaymentRequired, post.StatusCode);
        Assert.Contains("id=\"error\"", page);
        Assert.Contains(message, page);
        Assert.Contains("id=\"card_number\"", page);
        Assert.Empty(stripe.State.Subscriptions);
        Assert.Empty(stripe.State.Customers);
        Assert.Equal("open", (await http.GetAsync($"/v1/checkout/sessions/{session}")).Str("status"));
        Assert.DoesNotContain("checkout.session.completed", receiver.Types);

        // The customer tries again with a good card on the same session.
        using var retry = await SubmitCardAsync(browser, stripe, session, "4242424242424242");
        Assert.Equal(HttpStatusCode.SeeOther, retry.StatusCode);
        Assert.Single(stripe.State.Subscriptions);
    }

    [Fact]
    public async Task PortalPage_ShowsPlanPaymentMethodInvoicesWithLinksAndReturn()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        var session = await CheckoutSessionAsync(http, trialDays: null);
        using var browser = Browser();
        using var paid = await SubmitCardAsync(browser, stripe, session, "5555 5555 5555 4444");
        var customer = Assert.Single(stripe.State.Customers).Id;
        var invoice = Assert.Single(stripe.State.Invoices);

        var portal = await http.PostAsync("/v1/billing_portal/sessions", $"customer={customer}&return_url=https%3A%2F%2Fapp.example.com%2Fbilling");
        using var answer = await browser.GetAsync(portal.Str("url"));
        var page = await answer.Content.ReadAsStringAsync();
        using var pdf = await browser.GetAsync(new Uri(stripe.BaseAddress, $"invoice/{invoice.Id}/pdf"));
        var pdfBytes = await pdf.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains("Pro plan", page);
        Assert.Contains("<span class=\"status\">active</span>", page);
        Assert.Contains("mastercard ending in 4444", page);
        Assert.Contains($"href=\"/invoice/{invoice.Id}\"", page);
        Assert.Contains($"href=\"/invoice/{invoice.Id}/pdf\"", page);
        Assert.Contains("<a id=\"return\" href=\"https://app.example.com/billing\">Return</a>", page);
        Assert.Contains("Cancel subscription", page);
        Assert.Equal("application/pdf", pdf.Content.Headers.ContentType!.MediaType);
        Assert.Equal("%PDF-"u8.ToArray(), pdfBytes[..5]);
    }

    [Fact]
    public async Task PortalPage_CancelButton_SetsCancelAtPeriodEndAndFiresSubscriptionUpdated()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(stripe);
        using var http = new StripeHttp(stripe);
        var session = await CheckoutSessionAsync(http);
        using var browser = Browser();
        using var paid = await SubmitCardAsync(browser, stripe, session, "4242 4242 4242 4242");
        var sub = Assert.Single(stripe.State.Subscriptions);
        var portal = await http.PostAsync("/v1/billing_portal/sessions", $"customer={sub.CustomerId}&return_url=https%3A%2F%2Fapp.example.com%2Fbilling");

        using var cancel = await browser.PostAsync(new Uri(stripe.BaseAddress, $"portal/{portal.Str("id")}/cancel/{sub.Id}"), new FormUrlEncodedContent([]));
        await stripe.Deliveries.FlushAsync();
        var after = await browser.GetStringAsync(portal.Str("url"));

        Assert.Equal(HttpStatusCode.SeeOther, cancel.StatusCode);
        Assert.Equal($"/portal/{portal.Str("id")}", cancel.Headers.Location!.ToString());
        Assert.True(stripe.State.Subscriptions.Single().CancelAtPeriodEnd);
        var updated = Assert.Single(receiver.Received, r => r.Type == "customer.subscription.updated");
        Assert.True(updated.Object["cancel_at_period_end"]!.GetValue<bool>());
        Assert.Contains("Cancels at the end of the period", after);
        Assert.DoesNotContain("Cancel subscription", after);
    }

    [Fact]
    public async Task PortalPage_UnknownSession_Returns404()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var browser = Browser();

        using var answer = await browser.GetAsync(new Uri(stripe.BaseAddress, "portal/bps_unknown"));

        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
    }

    private static HttpClient Browser() => new(new HttpClientHandler { AllowAutoRedirect = false });

    private static async Task<string> CheckoutSessionAsync(StripeHttp http, int? trialDays = 14)
    {
        var product = await http.CreateAsync("/v1/products", "name=Pro%20plan");
        var price = await http.CreateAsync("/v1/prices", $"product={product}&unit_amount=2900&currency=usd&recurring[interval]=month");
        var trial = trialDays is { } days ? $"&subscription_data[trial_period_days]={days}" : string.Empty;
        var session = await http.PostAsync(
            "/v1/checkout/sessions",
            $"mode=subscription&line_items[0][price]={price}&line_items[0][quantity]=1&customer_email=owner%40example.com" +
            $"&success_url=https%3A%2F%2Fapp.example.com%2Fbilling%3Fsession%3D%7BCHECKOUT_SESSION_ID%7D&cancel_url=https%3A%2F%2Fapp.example.com%2Fbilling{trial}");
        Assert.Equal(HttpStatusCode.OK, session.Status);
        return session.Str("id");
    }

    private static Task<HttpResponseMessage> SubmitCardAsync(HttpClient browser, StripeEmulator stripe, string session, string card) =>
        browser.PostAsync(
            new Uri(stripe.BaseAddress, $"checkout/{session}/complete"),
            new FormUrlEncodedContent([new("card_number", card), new("card_expiry", "12 / 34"), new("card_cvc", "123")]));
}
