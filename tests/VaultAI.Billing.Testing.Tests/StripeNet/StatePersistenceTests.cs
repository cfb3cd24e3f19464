using Stripe;
using Stripe.Billing;

namespace VaultAI.Billing.Testing.Tests.StripeNet;

public sealed class StatePersistenceTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "emulator-state-" + Guid.NewGuid().ToString("N"));

    private string StatePath => Path.Combine(_directory, "stripe-emulator.json");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Dispose_CalledTwiceAtOnce_BothCallsReturnOnlyOnceTheLastSaveIsWritten()
    {
        // A host run by RunAsync and stopped by WebApplicationFactory disposes its emulator from two places at once.
        var first = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start), StatePath = StatePath });
        var customer = await StripeNetClient.For(first).V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "last-save@example.com" });

        // Right after the change, before the debounced save: only the final save of the disposal can hold it.
        var one = first.DisposeAsync().AsTask();
        var other = first.DisposeAsync().AsTask();
        await other;

        await using var second = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start), StatePath = StatePath });
        Assert.Equal(customer.Id, Assert.Single(second.State.Customers).Id);
        await one;
    }

    [Fact]
    public async Task Restart_WithStatePath_KeepsTheAccountAndItsClock_AndBillingGoesOn()
    {
        string customerId;
        string subscriptionId;
        string meteredPriceId;
        int invoicesBefore;
        await using (var first = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start), StatePath = StatePath }))
        {
            var client = StripeNetClient.For(first);
            var customer = await client.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "keep@example.com", Metadata = new() { ["organization_id"] = "org-keep" } });
            var price = await StripeNetClient.CreateMonthlyPriceAsync(client);
            var meter = await client.V1.Billing.Meters.CreateAsync(new MeterCreateOptions
            {
                DisplayName = "API calls",
                EventName = "api_calls",
                DefaultAggregation = new MeterDefaultAggregationOptions { Formula = "sum" },
                CustomerMapping = new MeterCustomerMappingOptions { Type = "by_id", EventPayloadKey = "stripe_customer_id" },
            });
            var usageProduct = await client.V1.Products.CreateAsync(new ProductCreateOptions { Name = "API usage" });
            var metered = await client.V1.Prices.CreateAsync(new PriceCreateOptions
            {
                Currency = "usd",
                UnitAmountDecimal = 0.5m,
                Product = usageProduct.Id,
                Recurring = new PriceRecurringOptions { Interval = "month", UsageType = "metered", Meter = meter.Id },
            });
            var subscription = await client.V1.Subscriptions.CreateAsync(new SubscriptionCreateOptions
            {
                Customer = customer.Id,
                Items = [new SubscriptionItemOptions { Price = price.Id }, new SubscriptionItemOptions { Price = metered.Id }],
                TrialPeriodDays = 7,
            });
            await first.AdvanceTimeAsync(TimeSpan.FromDays(8));
            await client.V1.Billing.MeterEvents.CreateAsync(new MeterEventCreateOptions
            {
                EventName = "api_calls",
                Identifier = "usage-1",
                Payload = new Dictionary<string, string> { ["stripe_customer_id"] = customer.Id, ["value"] = "40" },
                Timestamp = first.Clock.GetUtcNow().UtcDateTime,
            });
            (customerId, subscriptionId, meteredPriceId) = (customer.Id, subscription.Id, metered.Id);
            invoicesBefore = first.State.Invoices.Count;
        }

        // A later start: its own clock begins earlier than the saved one, which must win.
        await using var second = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start), StatePath = StatePath });
        var restarted = StripeNetClient.For(second);
        var kept = await restarted.V1.Subscriptions.GetAsync(subscriptionId);
        var keptCustomer = await restarted.V1.Customers.GetAsync(customerId);
        var duplicate = await restarted.V1.Billing.MeterEvents.CreateAsync(new MeterEventCreateOptions
        {
            EventName = "api_calls",
            Identifier = "usage-1",
            Payload = new Dictionary<string, string> { ["stripe_customer_id"] = customerId, ["value"] = "40" },
            Timestamp = second.Clock.GetUtcNow().UtcDateTime,
        });
        await second.AdvanceTimeAsync(TimeSpan.FromDays(31));
        var invoices = second.State.Invoices;

        Assert.Equal(Start.AddDays(8), second.Clock.GetUtcNow().AddDays(-31));
        Assert.Equal("active", kept.Status);
        Assert.Equal("org-keep", keptCustomer.Metadata["organization_id"]);
        Assert.Equal(2, invoicesBefore);
        Assert.Single(second.State.MeterEvents); // the dedupe index was rebuilt: the same identifier is not counted twice
        Assert.Equal("usage-1", duplicate.Identifier);
        Assert.Equal(3, invoices.Count);
        var renewal = invoices[^1];
        Assert.Equal("subscription_cycle", renewal.BillingReason);
        Assert.Equal(20, Assert.Single(renewal.Lines, l => l.PriceId == meteredPriceId).Amount); // 40 calls at 0.50 cents
        Assert.Equal(2000 + 20, renewal.AmountDue);
        Assert.NotEqual(invoices[^2].Id, renewal.Id);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("{\"format\": 0, \"collections\": {}}")]
    [InlineData("{\"format\": 1, \"collections\": {\"Customers\": [1, 2]}}")]
    public async Task Start_WithAnUnreadableStateFile_StartsEmptyAndLogsOneLine(string content)
    {
        Directory.CreateDirectory(_directory);
        await System.IO.File.WriteAllTextAsync(StatePath, content);
        var logger = new LineLogger();

        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start), StatePath = StatePath, Logger = logger });
        var client = StripeNetClient.For(stripe);
        await client.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "fresh@example.com" });

        var line = Assert.Single(logger.Lines);
        Assert.Contains("was ignored", line, StringComparison.Ordinal);
        Assert.Contains(StatePath, line, StringComparison.Ordinal);
        Assert.Single(stripe.State.Customers);
    }

    [Fact]
    public async Task Start_WithoutAStateFile_CreatesItAfterAChange()
    {
        await using (var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { StatePath = StatePath }))
        {
            await StripeNetClient.For(stripe).V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "new@example.com" });
        }

        await using var again = await StripeEmulator.StartAsync(new StripeEmulatorOptions { StatePath = StatePath });

        Assert.Equal("new@example.com", Assert.Single(again.State.Customers).Email);
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));
    }

    private sealed class LineLogger : Microsoft.Extensions.Logging.ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
            {
                Lines.Add(formatter(state, exception));
            }
        }
    }
}
