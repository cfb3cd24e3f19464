using Stripe;
using Stripe.TestHelpers;

namespace VaultAI.Billing.Testing.Tests.StripeNet;

/// <summary>Mid-period changes of a subscription's items, as Stripe prorates them, driven through Stripe.net and test clocks.</summary>
public class ProrationTests
{
    // June has 30 days: on June 16 exactly half of the first period is left.
    private static readonly DateTimeOffset Start = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset HalfWay = Start.AddDays(15);

    private sealed record Rig(StripeEmulator Stripe, StripeClient Client, TestClock Clock, Customer Customer, Price Basic, Price Pro, Price ProYearly);

    private static async Task<Rig> StartAsync(StripeEmulator stripe)
    {
        var client = StripeNetClient.For(stripe);
        var clock = await client.V1.TestHelpers.TestClocks.CreateAsync(new TestClockCreateOptions { FrozenTime = Start.UtcDateTime });
        var customer = await client.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "p@example.com", TestClock = clock.Id });
        var product = await client.V1.Products.CreateAsync(new ProductCreateOptions { Name = "Seat" });
        var basic = await client.V1.Prices.CreateAsync(new PriceCreateOptions { Currency = "usd", UnitAmount = 2000, Product = product.Id, Recurring = new PriceRecurringOptions { Interval = "month" } });
        var pro = await client.V1.Prices.CreateAsync(new PriceCreateOptions { Currency = "usd", UnitAmount = 5000, Product = product.Id, Recurring = new PriceRecurringOptions { Interval = "month" } });
        var proYearly = await client.V1.Prices.CreateAsync(new PriceCreateOptions { Currency = "usd", UnitAmount = 50000, Product = product.Id, Recurring = new PriceRecurringOptions { Interval = "year" } });
        return new Rig(stripe, client, clock, customer, basic, pro, proYearly);
    }

    private static async Task<Subscription> SubscribeAsync(Rig rig, Price price, long quantity = 1) =>
        await rig.Client.V1.Subscriptions.CreateAsync(new SubscriptionCreateOptions
        {
            Customer = rig.Customer.Id,
            Items = [new SubscriptionItemOptions { Price = price.Id, Quantity = quantity }],
        });

    private static async Task AdvanceAsync(Rig rig, DateTimeOffset to)
    {
        await rig.Client.V1.TestHelpers.TestClocks.AdvanceAsync(rig.Clock.Id, new TestClockAdvanceOptions { FrozenTime = to.UtcDateTime });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await rig.Client.V1.TestHelpers.TestClocks.GetAsync(rig.Clock.Id, cancellationToken: timeout.Token)).Status != "ready")
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    private static Task<Subscription> SwapAsync(Rig rig, Subscription subscription, Price to, string behavior, long? quantity = null) =>
        rig.Client.V1.Subscriptions.UpdateAsync(subscription.Id, new SubscriptionUpdateOptions
        {
            Items = [new SubscriptionItemOptions { Id = subscription.Items.Data[0].Id, Price = to.Id, Quantity = quantity }],
            ProrationBehavior = behavior,
        });

    private static async Task<List<Invoice>> InvoicesAsync(Rig rig) =>
        (await rig.Client.V1.Invoices.ListAsync(new InvoiceListOptions { Customer = rig.Customer.Id, Limit = 100 })).Data.OrderBy(i => i.Created).ToList();

    private static bool IsProration(InvoiceLineItem line) => line.Parent?.SubscriptionItemDetails?.Proration == true;

    [Fact]
    public async Task Upgrade_MidPeriodWithCreateProrations_NextInvoiceCarriesCreditAndCharge()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var rig = await StartAsync(stripe);
        var subscription = await SubscribeAsync(rig, rig.Basic);
        await AdvanceAsync(rig, HalfWay);

        var updated = await SwapAsync(rig, subscription, rig.Pro, "create_prorations");
        var afterChange = await InvoicesAsync(rig);
        await AdvanceAsync(rig, Start.AddMonths(1).AddHours(1));
        var renewal = (await InvoicesAsync(rig)).Last();

        Assert.Equal(rig.Pro.Id, Assert.Single(updated.Items.Data).Price.Id);
        Assert.Single(afterChange);
        Assert.Equal("subscription_cycle", renewal.BillingReason);
        var prorations = renewal.Lines.Data.Where(IsProration).ToList();
        Assert.Equal(2, prorations.Count);
        Assert.Contains(prorations, l => l.Amount == -1000 && l.Description.StartsWith("Unused time on Seat", StringComparison.Ordinal) && l.Pricing.PriceDetails.PriceId == rig.Basic.Id);
        Assert.Contains(prorations, l => l.Amount == 2500 && l.Description.StartsWith("Remaining time on Seat", StringComparison.Ordinal) && l.Pricing.PriceDetails.PriceId == rig.Pro.Id);
        Assert.All(prorations, l => Assert.Equal(HalfWay.UtcDateTime, l.Period.Start));
        Assert.Contains(renewal.Lines.Data, l => !IsProration(l) && l.Amount == 5000);
        Assert.Equal(6500, renewal.Total);
        Assert.Equal("paid", renewal.Status);
    }

    [Fact]
    public async Task Upgrade_MidPeriodWithNone_NextInvoiceHasNoProration()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var rig = await StartAsync(stripe);
        var subscription = await SubscribeAsync(rig, rig.Basic);
        await AdvanceAsync(rig, HalfWay);

        await SwapAsync(rig, subscription, rig.Pro, "none");
        var preview = await rig.Client.V1.Invoices.CreatePreviewAsync(new InvoiceCreatePreviewOptions { Subscription = subscription.Id });
        await AdvanceAsync(rig, Start.AddMonths(1).AddHours(1));
        var invoices = await InvoicesAsync(rig);

        Assert.DoesNotContain(preview.Lines.Data, IsProration);
        Assert.Equal(2, invoices.Count);
        Assert.DoesNotContain(invoices.SelectMany(i => i.Lines.Data), IsProration);
        Assert.Equal(5000, invoices[1].Total);
    }

    [Fact]
    public async Task Upgrade_MidPeriodWithAlwaysInvoice_InvoicesTheProrationAtOnce()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var rig = await StartAsync(stripe);
        var subscription = await SubscribeAsync(rig, rig.Basic);
        await AdvanceAsync(rig, HalfWay);

        var updated = await SwapAsync(rig, subscription, rig.Pro, "always_invoice");
        var invoices = await InvoicesAsync(rig);
        await AdvanceAsync(rig, Start.AddMonths(1).AddHours(1));
        var renewal = (await InvoicesAsync(rig)).Last();

        Assert.Equal(2, invoices.Count);
        var now = invoices[1];
        Assert.Equal("subscription_update", now.BillingReason);
        Assert.Equal(now.Id, updated.LatestInvoiceId);
        Assert.Equal(1500, now.Total);
        Assert.Equal("paid", now.Status);
        Assert.All(now.Lines.Data, l => Assert.True(IsProration(l)));
        Assert.Equal(5000, renewal.Total);
        Assert.DoesNotContain(renewal.Lines.Data, IsProration);
    }

    [Fact]
    public async Task QuantityUpAndDown_ProratesTheDifference()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var rig = await StartAsync(stripe);
        var subscription = await SubscribeAsync(rig, rig.Basic, quantity: 3);
        await AdvanceAsync(rig, HalfWay);

        var up = await rig.Client.V1.Subscriptions.UpdateAsync(subscription.Id, new SubscriptionUpdateOptions
        {
            Items = [new SubscriptionItemOptions { Id = subscription.Items.Data[0].Id, Quantity = 5 }],
        });
        var down = await rig.Client.V1.Subscriptions.UpdateAsync(subscription.Id, new SubscriptionUpdateOptions
        {
            Items = [new SubscriptionItemOptions { Id = subscription.Items.Data[0].Id, Quantity = 4 }],
        });
        var preview = await rig.Client.V1.Invoices.CreatePreviewAsync(new InvoiceCreatePreviewOptions { Subscription = subscription.Id });

        Assert.Equal(5, Assert.Single(up.Items.Data).Quantity);
        Assert.Equal(4, Assert.Single(down.Items.Data).Quantity);
        var prorations = preview.Lines.Data.Where(IsProration).Select(l => l.Amount).OrderBy(a => a).ToList();
        Assert.Equal([-5000, -3000, 4000, 5000], prorations);
        Assert.Contains(preview.Lines.Data, l => !IsProration(l) && l.Amount == 8000);
    }

    [Fact]
    public async Task MonthlyToYearly_ResetsTheCycleAndInvoicesAtOnce_ThenRenewsAfterAYear()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var rig = await StartAsync(stripe);
        var subscription = await SubscribeAsync(rig, rig.Basic);
        await AdvanceAsync(rig, HalfWay);

        var yearly = await SwapAsync(rig, subscription, rig.ProYearly, "create_prorations");
        var switched = (await InvoicesAsync(rig)).Last();
        await AdvanceAsync(rig, HalfWay.AddMonths(6));
        var midYear = await InvoicesAsync(rig);
        await AdvanceAsync(rig, HalfWay.AddYears(1).AddHours(1));
        var renewal = (await InvoicesAsync(rig)).Last();

        var item = Assert.Single(yearly.Items.Data);
        Assert.Equal(HalfWay.UtcDateTime, item.CurrentPeriodStart);
        Assert.Equal(HalfWay.AddYears(1).UtcDateTime, item.CurrentPeriodEnd);
        Assert.Equal(HalfWay.UtcDateTime, yearly.BillingCycleAnchor);
        Assert.Equal("subscription_update", switched.BillingReason);
        Assert.Contains(switched.Lines.Data, l => IsProration(l) && l.Amount == -1000);
        Assert.Contains(switched.Lines.Data, l => !IsProration(l) && l.Amount == 50000);
        Assert.Equal(49000, switched.Total);
        Assert.Equal(2, midYear.Count);
        Assert.Equal("subscription_cycle", renewal.BillingReason);
        Assert.Equal(50000, renewal.Total);
        Assert.Equal(HalfWay.AddYears(1).UtcDateTime, renewal.Lines.Data.Single().Period.Start);
    }

    [Fact]
    public async Task CancelAtPeriodEnd_UndoneThenSetAgain_CancelsOnlyWhenThePeriodEndsWhileSet()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var rig = await StartAsync(stripe);
        var subscription = await SubscribeAsync(rig, rig.Basic);

        var set = await rig.Client.V1.Subscriptions.UpdateAsync(subscription.Id, new SubscriptionUpdateOptions { CancelAtPeriodEnd = true });
        var undone = await rig.Client.V1.Subscriptions.UpdateAsync(subscription.Id, new SubscriptionUpdateOptions { CancelAtPeriodEnd = false });
        await AdvanceAsync(rig, Start.AddMonths(1).AddHours(1));
        var renewed = await rig.Client.V1.Subscriptions.GetAsync(subscription.Id);
        await rig.Client.V1.Subscriptions.UpdateAsync(subscription.Id, new SubscriptionUpdateOptions { CancelAtPeriodEnd = true });
        await AdvanceAsync(rig, Start.AddMonths(2).AddHours(1));
        var ended = await rig.Client.V1.Subscriptions.GetAsync(subscription.Id);

        Assert.True(set.CancelAtPeriodEnd);
        Assert.Equal(Start.AddMonths(1).UtcDateTime, set.CancelAt);
        Assert.False(undone.CancelAtPeriodEnd);
        Assert.Null(undone.CancelAt);
        Assert.Equal("active", renewed.Status);
        Assert.Equal("canceled", ended.Status);
        Assert.Equal(Start.AddMonths(2).UtcDateTime, ended.EndedAt);
    }

    [Fact]
    public async Task Update_WithUnknownProrationBehavior_IsRejectedNamingTheParameter()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var rig = await StartAsync(stripe);
        var subscription = await SubscribeAsync(rig, rig.Basic);

        var error = await Assert.ThrowsAsync<StripeException>(() => SwapAsync(rig, subscription, rig.Pro, "sometimes"));
        var unchanged = await rig.Client.V1.Subscriptions.GetAsync(subscription.Id);

        Assert.Equal("proration_behavior", error.StripeError.Param);
        Assert.Equal(rig.Basic.Id, unchanged.Items.Data[0].Price.Id);
    }
}
