using Stripe;
using Stripe.TestHelpers;
using VaultAI.Billing.Testing.Tests.Support;

namespace VaultAI.Billing.Testing.Tests.StripeNet;

public class TestClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static async Task<TestClock> WaitUntilReadyAsync(StripeClient client, string id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var clock = await client.V1.TestHelpers.TestClocks.GetAsync(id, cancellationToken: timeout.Token);
            if (clock.Status == "ready")
            {
                return clock;
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    private static async Task<(Customer Customer, Subscription Subscription, TestClock Clock)> TrialOnClockAsync(StripeClient client)
    {
        var clock = await client.V1.TestHelpers.TestClocks.CreateAsync(new TestClockCreateOptions { FrozenTime = Start.UtcDateTime, Name = "trial" });
        var customer = await client.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "clock@example.com", TestClock = clock.Id });
        var price = await StripeNetClient.CreateMonthlyPriceAsync(client);
        var subscription = await client.V1.Subscriptions.CreateAsync(new SubscriptionCreateOptions
        {
            Customer = customer.Id,
            Items = [new SubscriptionItemOptions { Price = price.Id }],
            TrialPeriodDays = 7,
        });
        return (customer, subscription, clock);
    }

    [Fact]
    public async Task TestClocks_CreateRetrieveListDelete_RenderAsStripe()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var client = StripeNetClient.For(stripe);

        var created = await client.V1.TestHelpers.TestClocks.CreateAsync(new TestClockCreateOptions { FrozenTime = Start.UtcDateTime, Name = "first" });
        var fetched = await client.V1.TestHelpers.TestClocks.GetAsync(created.Id);
        var list = await client.V1.TestHelpers.TestClocks.ListAsync(new TestClockListOptions());
        var customer = await client.V1.Customers.CreateAsync(new CustomerCreateOptions { TestClock = created.Id });
        var deleted = await client.V1.TestHelpers.TestClocks.DeleteAsync(created.Id);
        var missing = await Assert.ThrowsAsync<StripeException>(() => client.V1.TestHelpers.TestClocks.GetAsync(created.Id));

        Assert.StartsWith("clock_", created.Id, StringComparison.Ordinal);
        Assert.Equal("test_helpers.test_clock", created.Object);
        Assert.Equal("ready", fetched.Status);
        Assert.Equal("first", fetched.Name);
        Assert.Equal(Start.UtcDateTime, fetched.FrozenTime);
        Assert.Equal(Start.UtcDateTime.AddDays(30), fetched.DeletesAfter);
        Assert.Equal(created.Id, Assert.Single(list.Data).Id);
        Assert.Equal(created.Id, customer.TestClockId);
        Assert.True(deleted.Deleted);
        Assert.Equal("resource_missing", missing.StripeError.Code);
    }

    [Fact]
    public async Task AdvanceAsync_PastTrialEnd_EndsTrialPaysInvoiceAndDeliversWebhooks()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        await using var receiver = await WebhookReceiver.StartAsync(stripe);
        var client = StripeNetClient.For(stripe);
        var (customer, subscription, clock) = await TrialOnClockAsync(client);

        var advancing = await client.V1.TestHelpers.TestClocks.AdvanceAsync(clock.Id, new TestClockAdvanceOptions { FrozenTime = Start.UtcDateTime.AddDays(8) });
        var ready = await WaitUntilReadyAsync(client, clock.Id);
        await stripe.Deliveries.FlushAsync();
        var after = await client.V1.Subscriptions.GetAsync(subscription.Id);
        var invoices = await client.V1.Invoices.ListAsync(new InvoiceListOptions { Customer = customer.Id, Status = "paid" });

        Assert.Equal("advancing", advancing.Status);
        Assert.Equal(Start.UtcDateTime.AddDays(8), advancing.StatusDetails.Advancing.TargetFrozenTime);
        Assert.Equal(Start.UtcDateTime.AddDays(8), ready.FrozenTime);
        Assert.Equal(Start, stripe.Clock.GetUtcNow());
        Assert.Equal("trialing", subscription.Status);
        Assert.Equal("active", after.Status);
        Assert.Contains(invoices.Data, i => i.AmountPaid == 2000 && i.Parent.SubscriptionDetails.SubscriptionId == subscription.Id);
        Assert.Contains("customer.subscription.trial_will_end", receiver.Types);
        Assert.Contains("invoice.paid", receiver.Types);
        Assert.Contains("test_helpers.test_clock.advancing", receiver.Types);
        Assert.Contains("test_helpers.test_clock.ready", receiver.Types);
        Assert.All(receiver.Received, r => Assert.True(r.SignatureValid));
        var readyEvent = Assert.Single(receiver.Received, r => r.Type == "test_helpers.test_clock.ready");
        var now = stripe.Clock.GetUtcNow().ToUnixTimeSeconds();
        var header = StripeWebhookSignature.CreateHeader(stripe.WebhookSecret, now, System.Text.Encoding.UTF8.GetBytes(readyEvent.RawBody));
        var parsed = EventUtility.ConstructEvent(readyEvent.RawBody, header, stripe.WebhookSecret, 300, now, throwOnApiVersionMismatch: false);
        Assert.Equal(clock.Id, Assert.IsType<TestClock>(parsed.Data.Object).Id);
    }

    [Fact]
    public async Task AdvanceAsync_WithFailingPayment_LeavesSubscriptionPastDue()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var client = StripeNetClient.For(stripe);
        var (customer, subscription, clock) = await TrialOnClockAsync(client);
        stripe.SetPaymentOutcome(customer.Id, PaymentOutcome.Fails);

        await client.V1.TestHelpers.TestClocks.AdvanceAsync(clock.Id, new TestClockAdvanceOptions { FrozenTime = Start.UtcDateTime.AddDays(8) });
        await WaitUntilReadyAsync(client, clock.Id);
        var after = await client.V1.Subscriptions.GetAsync(subscription.Id, new SubscriptionGetOptions { Expand = ["latest_invoice"] });

        Assert.Equal("past_due", after.Status);
        Assert.Equal("open", after.LatestInvoice.Status);
        Assert.Equal(1, after.LatestInvoice.AttemptCount);
        Assert.NotNull(after.LatestInvoice.NextPaymentAttempt);
    }

    [Fact]
    public async Task AdvanceAsync_ToAnEarlierTime_IsRejected()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var client = StripeNetClient.For(stripe);
        var clock = await client.V1.TestHelpers.TestClocks.CreateAsync(new TestClockCreateOptions { FrozenTime = Start.UtcDateTime });

        var error = await Assert.ThrowsAsync<StripeException>(() =>
            client.V1.TestHelpers.TestClocks.AdvanceAsync(clock.Id, new TestClockAdvanceOptions { FrozenTime = Start.UtcDateTime.AddHours(-1) }));

        Assert.Equal("frozen_time", error.StripeError.Param);
        Assert.Equal(Start, stripe.Clock.GetUtcNow());
    }

    [Fact]
    public async Task AdvanceAsync_MovesOnlyTheClocksCustomers_InTheClocksFrozenTime()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var client = StripeNetClient.For(stripe);
        var (_, onClock, clock) = await TrialOnClockAsync(client);
        var plain = await client.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "plain@example.com" });
        var offClock = await client.V1.Subscriptions.CreateAsync(new SubscriptionCreateOptions
        {
            Customer = plain.Id,
            Items = [new SubscriptionItemOptions { Price = onClock.Items.Data[0].Price.Id }],
            TrialPeriodDays = 7,
        });

        await client.V1.TestHelpers.TestClocks.AdvanceAsync(clock.Id, new TestClockAdvanceOptions { FrozenTime = Start.UtcDateTime.AddDays(40) });
        await WaitUntilReadyAsync(client, clock.Id);
        var clocked = await client.V1.Subscriptions.GetAsync(onClock.Id);
        var unclocked = await client.V1.Subscriptions.GetAsync(offClock.Id);
        var invoices = await client.V1.Invoices.ListAsync(new InvoiceListOptions { Subscription = onClock.Id });

        Assert.Equal("active", clocked.Status);
        Assert.Equal(Start.UtcDateTime.AddDays(7).AddMonths(1), clocked.Items.Data[0].CurrentPeriodStart);
        Assert.Equal("trialing", unclocked.Status);
        Assert.Equal(Start, stripe.Clock.GetUtcNow());
        Assert.Equal(
            [Start.UtcDateTime.AddDays(7).AddMonths(1), Start.UtcDateTime.AddDays(7), Start.UtcDateTime],
            invoices.Data.Select(i => i.Created));
    }

    [Fact]
    public async Task CustomerOnClock_CreatedAndTrialInTheClocksFrozenTime()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var client = StripeNetClient.For(stripe);
        var frozen = Start.AddDays(-100).UtcDateTime;
        var clock = await client.V1.TestHelpers.TestClocks.CreateAsync(new TestClockCreateOptions { FrozenTime = frozen });

        var customer = await client.V1.Customers.CreateAsync(new CustomerCreateOptions { TestClock = clock.Id });
        var price = await client.V1.Prices.CreateAsync(new PriceCreateOptions
        {
            Currency = "usd",
            UnitAmount = 500,
            ProductData = new PriceProductDataOptions { Name = "Basic" },
            Recurring = new PriceRecurringOptions { Interval = "month" },
        });
        var subscription = await client.V1.Subscriptions.CreateAsync(new SubscriptionCreateOptions
        {
            Customer = customer.Id,
            Items = [new SubscriptionItemOptions { Price = price.Id }],
            TrialPeriodDays = 3,
        });
        await stripe.AdvanceTimeAsync(TimeSpan.FromDays(10));
        var after = await client.V1.Subscriptions.GetAsync(subscription.Id);

        Assert.Equal(frozen, customer.Created);
        Assert.Equal(frozen, subscription.Created);
        Assert.Equal(frozen.AddDays(3), subscription.TrialEnd);
        Assert.Equal(clock.Id, subscription.TestClockId);
        Assert.Equal("trialing", after.Status);
    }

    [Fact]
    public async Task AdvanceAsync_PastPeriodEnd_BillsUsageSentInTheClocksTime()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var client = StripeNetClient.For(stripe);
        var frozen = Start.AddDays(-60).UtcDateTime;
        var clock = await client.V1.TestHelpers.TestClocks.CreateAsync(new TestClockCreateOptions { FrozenTime = frozen });
        var customer = await client.V1.Customers.CreateAsync(new CustomerCreateOptions { TestClock = clock.Id });
        var meter = await client.V1.Billing.Meters.CreateAsync(new Stripe.Billing.MeterCreateOptions
        {
            DisplayName = "API calls",
            EventName = "api_calls",
            DefaultAggregation = new Stripe.Billing.MeterDefaultAggregationOptions { Formula = "sum" },
        });
        var price = await client.V1.Prices.CreateAsync(new PriceCreateOptions
        {
            Currency = "usd",
            UnitAmountDecimal = 2m,
            ProductData = new PriceProductDataOptions { Name = "API" },
            Recurring = new PriceRecurringOptions { Interval = "month", UsageType = "metered", Meter = meter.Id },
        });
        var subscription = await client.V1.Subscriptions.CreateAsync(new SubscriptionCreateOptions
        {
            Customer = customer.Id,
            Items = [new SubscriptionItemOptions { Price = price.Id }],
        });

        await client.V1.TestHelpers.TestClocks.AdvanceAsync(clock.Id, new TestClockAdvanceOptions { FrozenTime = frozen.AddDays(3) });
        await WaitUntilReadyAsync(client, clock.Id);

        // 57 days before the emulator's time: valid only because the customer lives in the clock's time.
        await client.V1.Billing.MeterEvents.CreateAsync(new Stripe.Billing.MeterEventCreateOptions
        {
            EventName = "api_calls",
            Payload = new Dictionary<string, string> { ["stripe_customer_id"] = customer.Id, ["value"] = "21" },
            Timestamp = frozen.AddDays(2),
        });
        await client.V1.TestHelpers.TestClocks.AdvanceAsync(clock.Id, new TestClockAdvanceOptions { FrozenTime = frozen.AddMonths(1).AddHours(1) });
        await WaitUntilReadyAsync(client, clock.Id);
        var renewal = (await client.V1.Invoices.ListAsync(new InvoiceListOptions { Subscription = subscription.Id })).Data[0];

        Assert.Equal("subscription_cycle", renewal.BillingReason);
        Assert.Equal(42, renewal.AmountPaid);
        Assert.Equal(21, Assert.Single(renewal.Lines.Data).Quantity);
        Assert.Equal(frozen.AddMonths(1), renewal.Created);
    }
}
