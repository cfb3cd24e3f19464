using System.Net;
using VaultAI.Billing.Testing.Tests.Support;

namespace VaultAI.Billing.Testing.Tests.Billing;

public class SubscriptionLifecycleTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    private static StripeEmulatorOptions Options() => new() { Clock = new FakeTimeProvider(Start) };

    [Fact]
    public async Task Trial_AdvancedPastTrialEnd_BecomesActiveWithPaidInvoiceAndSignedWebhooks()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        await using var receiver = await WebhookReceiver.StartAsync(stripe);
        using var http = new StripeHttp(stripe);
        var (_, price) = await Catalog.LicensedMonthlyAsync(http, 2000);
        var customer = await Catalog.CustomerAsync(http);

        var created = await http.PostAsync("/v1/subscriptions", $"customer={customer}&items[0][price]={price}&trial_period_days=4");
        var subId = created.Str("id");
        Assert.Equal("trialing", created.Str("status"));
        Assert.Equal(Start.AddDays(4).ToUnixTimeSeconds(), created.Json["trial_end"]!.GetValue<long>());
        Assert.Equal(Start.AddDays(4).ToUnixTimeSeconds(), created.Json["items"]!["data"]![0]!["current_period_end"]!.GetValue<long>());

        await stripe.AdvanceTimeAsync(TimeSpan.FromDays(5));

        var sub = await http.GetAsync($"/v1/subscriptions/{subId}?expand[0]=latest_invoice");
        Assert.Equal("active", sub.Str("status"));
        // Since API 2025-03-31.basil the period lives on the items, not on the subscription.
        Assert.Null(sub.Json["current_period_start"]);
        Assert.Equal(Start.AddDays(4).ToUnixTimeSeconds(), sub.Json["items"]!["data"]![0]!["current_period_start"]!.GetValue<long>());
        Assert.Equal(Start.AddDays(4).AddMonths(1).ToUnixTimeSeconds(), sub.Json["items"]!["data"]![0]!["current_period_end"]!.GetValue<long>());
        var latest = sub.Json["latest_invoice"]!;
        Assert.Equal("paid", latest["status"]!.GetValue<string>());
        Assert.Equal(2000, latest["amount_paid"]!.GetValue<long>());
        Assert.Equal(subId, latest["parent"]!["subscription_details"]!["subscription"]!.GetValue<string>());
        Assert.StartsWith("il_", latest["lines"]!["data"]![0]!["id"]!.GetValue<string>());

        var types = receiver.Types.ToList();
        Assert.Contains("customer.subscription.created", types);
        Assert.Contains("customer.subscription.trial_will_end", types);
        Assert.Contains("invoice.paid", types);
        Assert.Contains("invoice.payment_succeeded", types);
        Assert.True(types.IndexOf("customer.subscription.trial_will_end") < types.LastIndexOf("invoice.paid"));
        Assert.All(receiver.Received, r => Assert.True(r.SignatureValid, $"{r.Type} has a bad signature"));
        Assert.All(receiver.Received, r => Assert.Equal("application/json; charset=utf-8", r.ContentType));
        var updated = receiver.Received.First(r => r.Type == "customer.subscription.updated");
        Assert.Equal("trialing", updated.Json["data"]!["previous_attributes"]!["status"]!.GetValue<string>());
        Assert.Equal("active", updated.Object["status"]!.GetValue<string>());
        var trialWillEnd = stripe.State.Events.First(e => e.Type == "customer.subscription.trial_will_end");
        Assert.Equal(Start.AddDays(1), trialWillEnd.Created);
    }

    [Fact]
    public async Task Event_HasStripeEnvelope()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        await using var receiver = await WebhookReceiver.StartAsync(stripe);
        using var http = new StripeHttp(stripe);

        await http.PostAsync("/v1/customers", "email=x%40example.com", "idem-envelope");
        await stripe.Deliveries.FlushAsync();

        var evt = Assert.Single(receiver.Received).Json;
        Assert.StartsWith("evt_", evt["id"]!.GetValue<string>());
        Assert.Equal("event", evt["object"]!.GetValue<string>());
        Assert.Equal("2026-10-28.endive", evt["api_version"]!.GetValue<string>());
        Assert.Equal("customer.created", evt["type"]!.GetValue<string>());
        Assert.Equal(Start.ToUnixTimeSeconds(), evt["created"]!.GetValue<long>());
        Assert.False(evt["livemode"]!.GetValue<bool>());
        Assert.Equal(1, evt["pending_webhooks"]!.GetValue<int>());
        Assert.StartsWith("req_", evt["request"]!["id"]!.GetValue<string>());
        Assert.Equal("idem-envelope", evt["request"]!["idempotency_key"]!.GetValue<string>());
        Assert.Equal("customer", evt["data"]!["object"]!["object"]!.GetValue<string>());

        using var http2 = new StripeHttp(stripe);
        var listed = await http2.GetAsync("/v1/events?types[0]=customer.created");
        Assert.Equal(evt["id"]!.GetValue<string>(), listed.Json["data"]![0]!["id"]!.GetValue<string>());
        var single = await http2.GetAsync($"/v1/events/{evt["id"]!.GetValue<string>()}");
        Assert.Equal("customer.created", single.Str("type"));
    }

    [Fact]
    public async Task FailingPayment_AtTrialEnd_GoesPastDueAndSendsSignedPaymentFailed_ThenRecoversOnRetry()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        await using var receiver = await WebhookReceiver.StartAsync(stripe);
        using var http = new StripeHttp(stripe);
        var (_, price) = await Catalog.LicensedMonthlyAsync(http, 2000);
        var customer = await Catalog.CustomerAsync(http);
        var subId = await http.CreateAsync("/v1/subscriptions", $"customer={customer}&items[0][price]={price}&trial_period_days=4");
        stripe.SetPaymentOutcome(customer, PaymentOutcome.Fails);

        await stripe.AdvanceTimeAsync(TimeSpan.FromDays(4));

        Assert.Equal("past_due", stripe.State.Subscriptions.Single().Status);
        var failed = Assert.Single(receiver.Received, r => r.Type == "invoice.payment_failed");
        Assert.True(failed.SignatureValid);
        Assert.Equal(1, failed.Object["attempt_count"]!.GetValue<int>());
        Assert.Equal(Start.AddDays(7).ToUnixTimeSeconds(), failed.Object["next_payment_attempt"]!.GetValue<long>());
        var pastDue = receiver.Received.Last(r => r.Type == "customer.subscription.updated");
        Assert.Equal("past_due", pastDue.Object["status"]!.GetValue<string>());

        stripe.SetPaymentOutcome(customer, PaymentOutcome.Succeeds);
        await stripe.AdvanceTimeAsync(TimeSpan.FromDays(3));

        var sub = await http.GetAsync($"/v1/subscriptions/{subId}");
        Assert.Equal("active", sub.Str("status"));
        var invoice = stripe.State.Invoices.Last();
        Assert.Equal("paid", invoice.Status);
        Assert.Equal(2, invoice.AttemptCount);
        Assert.Contains(receiver.Received, r => r.Type == "invoice.paid" && r.Object["id"]!.GetValue<string>() == invoice.Id);
        var recovered = receiver.Received.Last(r => r.Type == "customer.subscription.updated");
        Assert.Equal("past_due", recovered.Json["data"]!["previous_attributes"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task FailingPayment_RetriesExhausted_CancelsTheSubscription()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        await using var receiver = await WebhookReceiver.StartAsync(stripe);
        using var http = new StripeHttp(stripe);
        var (_, price) = await Catalog.LicensedMonthlyAsync(http, 2000);
        var customer = await Catalog.CustomerAsync(http);
        await http.CreateAsync("/v1/subscriptions", $"customer={customer}&items[0][price]={price}&trial_period_days=1");
        stripe.SetPaymentOutcome(customer, PaymentOutcome.Fails);

        await stripe.AdvanceTimeAsync(TimeSpan.FromDays(20));

        var sub = stripe.State.Subscriptions.Single();
        Assert.Equal("canceled", sub.Status);
        Assert.Equal(Start.AddDays(1 + 9), sub.CanceledAt);
        Assert.Equal(4, receiver.Received.Count(r => r.Type == "invoice.payment_failed"));
        Assert.Single(receiver.Received, r => r.Type == "customer.subscription.deleted");
        Assert.Equal(4, stripe.State.Invoices.Last().AttemptCount);
    }

    [Fact]
    public async Task FailingPayment_RetriesExhaustedWithUnpaidOption_LeavesItUnpaid()
    {
        var options = Options();
        options.FailedPaymentFinalStatus = "unpaid";
        options.PaymentRetryAttempts = 1;
        await using var stripe = await StripeEmulator.StartAsync(options);
        using var http = new StripeHttp(stripe);
        var (_, price) = await Catalog.LicensedMonthlyAsync(http, 2000);
        var customer = await Catalog.CustomerAsync(http);
        await http.CreateAsync("/v1/subscriptions", $"customer={customer}&items[0][price]={price}&trial_period_days=1");
        stripe.SetPaymentOutcome(customer, PaymentOutcome.Fails);

        await stripe.AdvanceTimeAsync(TimeSpan.FromDays(10));

        Assert.Equal("unpaid", stripe.State.Subscriptions.Single().Status);
        Assert.Equal(2, stripe.State.Invoices.Last().AttemptCount);
    }

    [Fact]
    public async Task NoTrial_FailingFirstPayment_IsIncomplete()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var (_, price) = await Catalog.LicensedMonthlyAsync(http, 2000);
        var customer = await Catalog.CustomerAsync(http);
        stripe.SetPaymentOutcome(customer, PaymentOutcome.Fails);

        var created = await http.PostAsync("/v1/subscriptions", $"customer={customer}&items[0][price]={price}");
        var refused = await http.PostAsync("/v1/subscriptions", $"customer={customer}&items[0][price]={price}&payment_behavior=error_if_incomplete");

        Assert.Equal("incomplete", created.Str("status"));
        Assert.Equal(HttpStatusCode.PaymentRequired, refused.Status);
        Assert.Equal("card_error", refused.Error["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task CancelAtPeriodEnd_CancelsWhenThePeriodEnds()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        await using var receiver = await WebhookReceiver.StartAsync(stripe);
        using var http = new StripeHttp(stripe);
        var (_, price) = await Catalog.LicensedMonthlyAsync(http, 2000);
        var customer = await Catalog.CustomerAsync(http);
        var subId = await http.CreateAsync("/v1/subscriptions", $"customer={customer}&items[0][price]={price}");

        var updated = await http.PostAsync($"/v1/subscriptions/{subId}", "cancel_at_period_end=true");
        Assert.True(updated.Json["cancel_at_period_end"]!.GetValue<bool>());
        await stripe.AdvanceTimeAsync(TimeSpan.FromDays(20));
        Assert.Equal("active", stripe.State.Subscriptions.Single().Status);

        await stripe.AdvanceTimeAsync(TimeSpan.FromDays(15));

        var sub = await http.GetAsync($"/v1/subscriptions/{subId}");
        Assert.Equal("canceled", sub.Str("status"));
        Assert.Equal(Start.AddMonths(1).ToUnixTimeSeconds(), sub.Json["ended_at"]!.GetValue<long>());
        var deleted = Assert.Single(receiver.Received, r => r.Type == "customer.subscription.deleted");
        Assert.Equal("canceled", deleted.Object["status"]!.GetValue<string>());
        Assert.Contains(receiver.Received, r => r.Type == "customer.subscription.updated" &&
            r.Json["data"]!["previous_attributes"]!["cancel_at_period_end"]?.GetValue<bool>() == false);
        var listedDefault = await http.GetAsync($"/v1/subscriptions?customer={customer}");
        var listedAll = await http.GetAsync($"/v1/subscriptions?customer={customer}&status=all");
        Assert.Empty(listedDefault.Json["data"]!.AsArray());
        Assert.Single(listedAll.Json["data"]!.AsArray());
    }

    [Fact]
    public async Task Renewal_CreatesAMonthlyInvoiceEachPeriod()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var (_, price) = await Catalog.LicensedMonthlyAsync(http, 1500);
        var customer = await Catalog.CustomerAsync(http);
        var subId = await http.CreateAsync("/v1/subscriptions", $"customer={customer}&items[0][price]={price}&items[0][quantity]=2");

        await stripe.AdvanceTimeAsync(TimeSpan.FromDays(62));

        var invoices = await http.GetAsync($"/v1/invoices?subscription={subId}");
        var data = invoices.Json["data"]!.AsArray();
        Assert.Equal(3, data.Count);
        Assert.All(data, i => Assert.Equal(3000, i!["amount_due"]!.GetValue<long>()));
        Assert.All(data, i => Assert.Equal("paid", i!["status"]!.GetValue<string>()));
        Assert.Equal(Start.AddMonths(2).ToUnixTimeSeconds(), data[0]!["created"]!.GetValue<long>());
        Assert.Equal("subscription_cycle", data[0]!["billing_reason"]!.GetValue<string>());
        Assert.Equal("subscription_create", data[2]!["billing_reason"]!.GetValue<string>());
        var sub = stripe.State.Subscriptions.Single();
        Assert.Equal(Start.AddMonths(2), sub.CurrentPeriodStart);
        Assert.Equal(Start.AddMonths(3), sub.CurrentPeriodEnd);
    }

    [Fact]
    public async Task DeleteSubscription_CancelsNowAndEmitsDeleted()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var (_, price) = await Catalog.LicensedMonthlyAsync(http, 1500);
        var customer = await Catalog.CustomerAsync(http);
        var subId = await http.CreateAsync("/v1/subscriptions", $"customer={customer}&items[0][price]={price}");

        var canceled = await http.DeleteAsync($"/v1/subscriptions/{subId}");

        Assert.Equal("canceled", canceled.Str("status"));
        Assert.Contains(stripe.State.Events, e => e.Type == "customer.subscription.deleted");
    }

    [Fact]
    public async Task UpdateSubscription_ReplacesItemPrice()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var (_, basic) = await Catalog.LicensedMonthlyAsync(http, 1000);
        var (_, pro) = await Catalog.LicensedMonthlyAsync(http, 5000);
        var customer = await Catalog.CustomerAsync(http);
        var created = await http.PostAsync("/v1/subscriptions", $"customer={customer}&items[0][price]={basic}");
        var itemId = created.Json["items"]!["data"]![0]!["id"]!.GetValue<string>();

        var updated = await http.PostAsync($"/v1/subscriptions/{created.Str("id")}", $"items[0][id]={itemId}&items[0][price]={pro}&proration_behavior=none&metadata[plan]=pro");

        Assert.Equal(HttpStatusCode.OK, updated.Status);
        Assert.Equal(pro, updated.Json["items"]!["data"]![0]!["price"]!["id"]!.GetValue<string>());
        Assert.Equal("pro", updated.Json["metadata"]!["plan"]!.GetValue<string>());
        await stripe.AdvanceTimeAsync(TimeSpan.FromDays(32));
        Assert.Equal(5000, stripe.State.Invoices.Last().AmountDue);
    }

    [Fact]
    public async Task CreatePreview_ShowsTheNextInvoice()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var (_, price) = await Catalog.LicensedMonthlyAsync(http, 1500);
        var customer = await Catalog.CustomerAsync(http);
        var subId = await http.CreateAsync("/v1/subscriptions", $"customer={customer}&items[0][price]={price}&trial_period_days=4");

        var preview = await http.PostAsync("/v1/invoices/create_preview", $"subscription={subId}");

        Assert.Equal(HttpStatusCode.OK, preview.Status);
        Assert.Equal(1500, preview.Json["amount_due"]!.GetValue<long>());
        Assert.Equal(Start.AddDays(4).ToUnixTimeSeconds(), preview.Json["next_payment_attempt"]!.GetValue<long>());
    }
}
