using Stripe;

namespace VaultAI.Billing.Testing.Tests.StripeNet;

public class SubscriptionAndInvoiceTests
{
    private static readonly DateTimeOffset Start = new(2026, 4, 1, 0, 0, 0, TimeSpan.Zero);

    private static async Task<(Customer Customer, Price Price)> SetUpAsync(StripeClient client)
    {
        var customer = await client.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "s@example.com" });
        var price = await StripeNetClient.CreateMonthlyPriceAsync(client);
        return (customer, price);
    }

    [Fact]
    public async Task Subscriptions_CreateWithTrialRetrieveUpdateCancelList_DeserializeWithEndiveFields()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var client = StripeNetClient.For(stripe);
        var (customer, price) = await SetUpAsync(client);

        var created = await client.V1.Subscriptions.CreateAsync(new SubscriptionCreateOptions
        {
            Customer = customer.Id,
            Items = [new SubscriptionItemOptions { Price = price.Id }],
            TrialPeriodDays = 14,
            Metadata = new Dictionary<string, string> { ["organization_id"] = "org-1" },
        });
        var fetched = await client.V1.Subscriptions.GetAsync(created.Id, new SubscriptionGetOptions { Expand = ["latest_invoice"] });
        var updated = await client.V1.Subscriptions.UpdateAsync(created.Id, new SubscriptionUpdateOptions { CancelAtPeriodEnd = true });
        var listed = await client.V1.Subscriptions.ListAsync(new SubscriptionListOptions { Customer = customer.Id });
        var canceled = await client.V1.Subscriptions.CancelAsync(created.Id);
        var afterCancel = await client.V1.Subscriptions.ListAsync(new SubscriptionListOptions { Customer = customer.Id });
        var all = await client.V1.Subscriptions.ListAsync(new SubscriptionListOptions { Customer = customer.Id, Status = "all" });

        Assert.Equal("trialing", created.Status);
        Assert.Equal(Start.UtcDateTime.AddDays(14), created.TrialEnd);
        Assert.Equal(customer.Id, created.CustomerId);
        Assert.Equal("org-1", created.Metadata["organization_id"]);
        var item = Assert.Single(fetched.Items.Data);
        Assert.Equal(price.Id, item.Price.Id);
        Assert.Equal(Start.UtcDateTime, item.CurrentPeriodStart);
        Assert.Equal(Start.UtcDateTime.AddDays(14), item.CurrentPeriodEnd);
        Assert.NotNull(fetched.LatestInvoice);
        Assert.Equal(fetched.LatestInvoiceId, fetched.LatestInvoice.Id);
        Assert.Equal(0, fetched.LatestInvoice.AmountDue);
        Assert.Equal(created.Id, fetched.LatestInvoice.Parent.SubscriptionDetails.SubscriptionId);
        Assert.True(updated.CancelAtPeriodEnd);
        Assert.Equal(created.Id, Assert.Single(listed.Data).Id);
        Assert.Equal("canceled", canceled.Status);
        Assert.Equal(Start.UtcDateTime, canceled.CanceledAt);
        Assert.Empty(afterCancel.Data);
        Assert.Single(all.Data);
    }

    [Fact]
    public async Task CheckoutAndPortal_CreateAndComplete_DeserializeSessions()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var client = StripeNetClient.For(stripe);
        var (customer, price) = await SetUpAsync(client);

        var checkout = await client.V1.Checkout.Sessions.CreateAsync(new Stripe.Checkout.SessionCreateOptions
        {
            Mode = "subscription",
            Customer = customer.Id,
            ClientReferenceId = "org-1",
            LineItems = [new Stripe.Checkout.SessionLineItemOptions { Price = price.Id, Quantity = 1 }],
            SuccessUrl = "https://app.example.com/done?session={CHECKOUT_SESSION_ID}",
            CancelUrl = "https://app.example.com/cancel",
            SubscriptionData = new Stripe.Checkout.SessionSubscriptionDataOptions
            {
                TrialPeriodDays = 7,
                Metadata = new Dictionary<string, string> { ["organization_id"] = "org-1" },
            },
        });
        var subscriptionId = await stripe.CompleteCheckoutAsync(checkout.Id);
        var completed = await client.V1.Checkout.Sessions.GetAsync(checkout.Id, new Stripe.Checkout.SessionGetOptions { Expand = ["subscription"] });
        var portal = await client.V1.BillingPortal.Sessions.CreateAsync(new Stripe.BillingPortal.SessionCreateOptions
        {
            Customer = customer.Id,
            ReturnUrl = "https://app.example.com/billing",
        });

        Assert.Equal("open", checkout.Status);
        Assert.Equal("subscription", checkout.Mode);
        Assert.StartsWith(stripe.BaseAddress.ToString(), checkout.Url, StringComparison.Ordinal);
        Assert.Equal("org-1", checkout.ClientReferenceId);
        Assert.Equal(0, checkout.AmountTotal);
        Assert.Equal("complete", completed.Status);
        Assert.Equal("paid", completed.PaymentStatus);
        Assert.Equal(subscriptionId, completed.SubscriptionId);
        Assert.Equal("trialing", completed.Subscription.Status);
        Assert.Equal("org-1", completed.Subscription.Metadata["organization_id"]);
        Assert.Equal(customer.Id, portal.Customer);
        Assert.Equal("https://app.example.com/billing", portal.ReturnUrl);
        Assert.StartsWith(stripe.BaseAddress.ToString(), portal.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoices_ListRetrievePreview_CarrySubscriptionUnderParentAndAmounts()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var client = StripeNetClient.For(stripe);
        var (customer, price) = await SetUpAsync(client);
        var subscription = await client.V1.Subscriptions.CreateAsync(new SubscriptionCreateOptions
        {
            Customer = customer.Id,
            Items = [new SubscriptionItemOptions { Price = price.Id }],
        });

        var list = await client.V1.Invoices.ListAsync(new InvoiceListOptions { Customer = customer.Id });
        var invoice = await client.V1.Invoices.GetAsync(Assert.Single(list.Data).Id);
        var preview = await client.V1.Invoices.CreatePreviewAsync(new InvoiceCreatePreviewOptions { Customer = customer.Id, Subscription = subscription.Id });

        Assert.Equal("active", subscription.Status);
        Assert.Equal("paid", invoice.Status);
        Assert.Equal(2000, invoice.AmountDue);
        Assert.Equal(2000, invoice.AmountPaid);
        Assert.Equal(2000, invoice.Total);
        Assert.Equal("usd", invoice.Currency);
        Assert.Equal(customer.Id, invoice.CustomerId);
        Assert.Equal("subscription_details", invoice.Parent.Type);
        Assert.Equal(subscription.Id, invoice.Parent.SubscriptionDetails.SubscriptionId);
        Assert.False(string.IsNullOrEmpty(invoice.HostedInvoiceUrl));
        Assert.Equal(Start.UtcDateTime, invoice.StatusTransitions.PaidAt);
        var line = Assert.Single(invoice.Lines.Data);
        Assert.Equal(2000, line.Amount);
        Assert.Equal(price.Id, line.Pricing.PriceDetails.PriceId);
        Assert.Equal(subscription.Id, line.SubscriptionId);
        Assert.Equal(Start.UtcDateTime.AddMonths(1), line.Period.End);
        Assert.Equal(2000, preview.AmountDue);
        Assert.Equal(subscription.Id, preview.Parent.SubscriptionDetails.SubscriptionId);
        Assert.Equal(Start.UtcDateTime.AddMonths(1), Assert.Single(preview.Lines.Data).Period.Start);
    }

    [Fact]
    public async Task Invoice_HostedUrlAndPdf_AreServedByTheEmulator()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var client = StripeNetClient.For(stripe);
        var (customer, price) = await SetUpAsync(client);
        await client.V1.Subscriptions.CreateAsync(new SubscriptionCreateOptions { Customer = customer.Id, Items = [new SubscriptionItemOptions { Price = price.Id }] });
        var invoice = Assert.Single((await client.V1.Invoices.ListAsync(new InvoiceListOptions { Customer = customer.Id })).Data);
        using var http = new HttpClient();

        using var page = await http.GetAsync(new Uri(invoice.HostedInvoiceUrl));
        using var pdf = await http.GetAsync(new Uri(invoice.InvoicePdf));
        var pdfBytes = await pdf.Content.ReadAsByteArrayAsync();

        Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
        Assert.Contains(invoice.Number, await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.OK, pdf.StatusCode);
        Assert.Equal("application/pdf", pdf.Content.Headers.ContentType?.MediaType);
        Assert.Equal("%PDF-"u8.ToArray(), pdfBytes[..5]);
        Assert.Equal(2000, invoice.TotalExcludingTax);
        Assert.Equal(Start.UtcDateTime, invoice.EffectiveAt);
    }

    [Fact]
    public async Task Events_ListAndAutoPage_DeserializeWithApiVersionAndDataObject()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var client = StripeNetClient.For(stripe);
        var (customer, price) = await SetUpAsync(client);
        await client.V1.Subscriptions.CreateAsync(new SubscriptionCreateOptions { Customer = customer.Id, Items = [new SubscriptionItemOptions { Price = price.Id }] });

        var firstPage = await client.V1.Events.ListAsync(new EventListOptions { Limit = 2 });
        var all = new List<Event>();
        await foreach (var e in client.V1.Events.ListAutoPagingAsync(new EventListOptions { Limit = 3 }))
        {
            all.Add(e);
        }

        Assert.Equal(2, firstPage.Data.Count);
        Assert.True(firstPage.HasMore);
        Assert.Equal(stripe.State.Events.Count, all.Count);
        Assert.Equal(all.Count, all.Select(e => e.Id).Distinct().Count());
        Assert.All(all, e => Assert.Equal("2026-10-28.endive", e.ApiVersion));
        var created = Assert.Single(all, e => e.Type == EventTypes.CustomerSubscriptionCreated);
        var subscription = Assert.IsType<Subscription>(created.Data.Object);
        Assert.Equal(customer.Id, subscription.CustomerId);
        var paid = Assert.Single(all, e => e.Type == EventTypes.InvoicePaid);
        Assert.Equal(2000, Assert.IsType<Invoice>(paid.Data.Object).AmountPaid);
        Assert.Equal(customer.Id, Assert.IsType<Customer>(Assert.Single(all, e => e.Type == EventTypes.CustomerCreated).Data.Object).Id);
    }
}
