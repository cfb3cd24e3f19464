using System.Net;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Stripe;

namespace VaultAI.Billing.Testing.Tests.ClientAgainstEmulator;

/// <summary>Our own Stripe client, every operation, against the emulator on loopback.</summary>
public sealed class StripeClientAgainstEmulatorTests : IAsyncLifetime
{
    private StripeEmulator _stripe = null!;
    private ServiceProvider _services = null!;

    private IStripeClient Client => _services.GetRequiredService<IStripeClient>();

    public async Task InitializeAsync()
    {
        _stripe = await StripeEmulator.StartAsync();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddVaultAIStripeClient(o =>
        {
            o.ApiKey = _stripe.ApiKey;
            o.ApiBase = _stripe.BaseAddress;
            o.MeterEventsApiBase = _stripe.BaseAddress;
            o.InitialRetryDelay = TimeSpan.FromMilliseconds(1);
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(5);
        });
        _services = services.BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _stripe.DisposeAsync();
    }

    [Fact]
    public async Task Customers_CreateGetUpdateListSearch()
    {
        var created = await Client.CreateCustomerAsync(new CustomerCreateOptions
        {
            Email = "a+b@example.com",
            Name = "Acme Corp",
            Metadata = new Dictionary<string, string?> { ["organization_id"] = "org-1" },
        });
        Assert.StartsWith("cus_", created.Id, StringComparison.Ordinal);
        Assert.Equal("a+b@example.com", created.Email);

        var updated = await Client.UpdateCustomerAsync(created.Id, new CustomerUpdateOptions { Name = "Acme SA", Metadata = new Dictionary<string, string?> { ["tier"] = "gold" } });
        Assert.Equal("Acme SA", updated.Name);
        Assert.Equal("gold", updated.Metadata["tier"]);
        Assert.Equal("org-1", (await Client.GetCustomerAsync(created.Id)).Metadata["organization_id"]);

        for (var i = 0; i < 4; i++)
        {
            await Client.CreateCustomerAsync(new CustomerCreateOptions { Email = $"c{i}@example.com" });
        }

        var all = await ToListAsync(Client.ListCustomersAsync(new CustomerListOptions { Limit = 2 }));
        Assert.Equal(5, all.Count);
        Assert.Equal(5, all.Select(c => c.Id).Distinct().Count());

        var found = Assert.Single(await ToListAsync(Client.SearchCustomersAsync("metadata['organization_id']:'org-1'")));
        Assert.Equal(created.Id, found.Id);

        var missing = await Assert.ThrowsAsync<StripeApiException>(() => Client.GetCustomerAsync("cus_missing"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("resource_missing", missing.Code);
        Assert.StartsWith("req_", missing.RequestId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProductsPricesMetersAndMeterEvents_RoundTrip()
    {
        var meter = await Client.CreateMeterAsync(new MeterCreateOptions { DisplayName = "API calls", EventName = "api_calls", DefaultAggregationFormula = "sum" });
        Assert.StartsWith("mtr_", meter.Id, StringComparison.Ordinal);
        Assert.Contains(await ToListAsync(Client.ListMetersAsync()), m => m.Id == meter.Id && m.EventName == "api_calls");

        var product = await Client.CreateProductAsync(new ProductCreateOptions { Name = "Self-Hosted", Metadata = new Dictionary<string, string?> { ["plan"] = "self-hosted" } });
        Assert.Contains(await ToListAsync(Client.ListProductsAsync()), p => p.Id == product.Id);

        var price = await Client.CreatePriceAsync(new PriceCreateOptions
        {
            Product = product.Id,
            Currency = "usd",
            UnitAmountDecimal = "0.5",
            LookupKey = "self_hosted_monthly",
            RecurringInterval = "month",
            RecurringUsageType = "metered",
            RecurringMeter = meter.Id,
        });
        var byKey = Assert.Single(await ToListAsync(Client.ListPricesAsync(new PriceListOptions { LookupKeys = ["self_hosted_monthly"] })));
        Assert.Equal(price.Id, byKey.Id);
        Assert.Equal("metered", byKey.Recurring?.UsageType);
        Assert.Equal(meter.Id, byKey.Recurring?.Meter);

        var customer = await Client.CreateCustomerAsync(new CustomerCreateOptions { Email = "m@example.com" });
        var now = _stripe.Clock.GetUtcNow();
        await Client.CreateMeterEventAsync(new MeterEventCreateOptions { EventName = "api_calls", StripeCustomerId = customer.Id, Value = 45, Identifier = "evt-a", Timestamp = now.AddMinutes(-2) });
        await Client.CreateMeterEventAsync(new MeterEventCreateOptions { EventName = "api_calls", StripeCustomerId = customer.Id, Value = 5, Identifier = "evt-b", Timestamp = now.AddMinutes(-1) });
        // The same identifier again, as a re-send after a lost answer: accepted, not counted twice.
        await Client.CreateMeterEventAsync(new MeterEventCreateOptions { EventName = "api_calls", StripeCustomerId = customer.Id, Value = 5, Identifier = "evt-b", Timestamp = now.AddMinutes(-1) });

        var session = await Client.CreateMeterEventSessionAsync();
        Assert.False(string.IsNullOrEmpty(session.AuthenticationToken));
        await Client.SendMeterEventStreamAsync(session, [new MeterEventStreamItem { EventName = "api_calls", Identifier = "evt-c", Timestamp = now, StripeCustomerId = customer.Id, Value = 50 }]);

        var summary = Assert.Single(await ToListAsync(Client.ListMeterEventSummariesAsync(meter.Id, new MeterEventSummaryListOptions
        {
            Customer = customer.Id,
            StartTime = now.AddHours(-1),
            EndTime = now.AddHours(1),
        })));
        Assert.Equal(100m, summary.AggregatedValue);

        var tooOld = await Assert.ThrowsAsync<StripeApiException>(() => Client.CreateMeterEventAsync(new MeterEventCreateOptions { EventName = "api_calls", StripeCustomerId = customer.Id, Value = 1, Identifier = "evt-old", Timestamp = now.AddDays(-36) }));
        Assert.Equal(HttpStatusCode.BadRequest, tooOld.StatusCode);
        Assert.Equal("timestamp", tooOld.Param);
        Assert.True(tooOld.IsPermanent);
    }

    [Fact]
    public async Task Subscriptions_CreateGetUpdateListCancel_AndInvoices()
    {
        var product = await Client.CreateProductAsync(new ProductCreateOptions { Name = "Seats" });
        var price = await Client.CreatePriceAsync(new PriceCreateOptions { Product = product.Id, Currency = "eur", UnitAmount = 1000, RecurringInterval = "month" });
        var customer = await Client.CreateCustomerAsync(new CustomerCreateOptions { Email = "s@example.com" });

        var subscription = await Client.CreateSubscriptionAsync(new SubscriptionCreateOptions
        {
            Customer = customer.Id,
            Items = [new SubscriptionItemOptions { Price = price.Id, Quantity = 3 }],
            TrialPeriodDays = 4,
            Metadata = new Dictionary<string, string?> { ["organization_id"] = "org-9" },
        });
        Assert.Equal("trialing", subscription.Status);
        Assert.Equal(customer.Id, subscription.Customer);
        Assert.Equal(_stripe.Clock.GetUtcNow().AddDays(4).ToUnixTimeSeconds(), subscription.TrialEnd!.Value.ToUnixTimeSeconds());
        Assert.NotNull(subscription.CurrentPeriodEnd);

        await Client.UpdateSubscriptionAsync(subscription.Id, new SubscriptionUpdateOptions { Metadata = new Dictionary<string, string?> { ["note"] = "x" } });
        Assert.Equal("x", (await Client.GetSubscriptionAsync(subscription.Id)).Metadata["note"]);
        Assert.Single(await ToListAsync(Client.ListSubscriptionsAsync(new SubscriptionListOptions { Customer = customer.Id, Status = "all" })));

        await _stripe.AdvanceTimeAsync(TimeSpan.FromDays(5));
        var invoices = await ToListAsync(Client.ListInvoicesAsync(new InvoiceListOptions { Customer = customer.Id }));
        var paid = Assert.Single(invoices, i => i.AmountPaid == 3000);
        Assert.Equal("paid", paid.Status);
        Assert.Equal(subscription.Id, paid.Subscription);
        Assert.Equal(paid.Id, (await Client.GetInvoiceAsync(paid.Id!)).Id);
        var preview = await Client.PreviewInvoiceAsync(new InvoicePreviewOptions { Customer = customer.Id, Subscription = subscription.Id });
        Assert.Equal(3000, preview.AmountDue);

        var ending = await Client.UpdateSubscriptionAsync(subscription.Id, new SubscriptionUpdateOptions { CancelAtPeriodEnd = true });
        Assert.True(ending.CancelAtPeriodEnd);
        Assert.Equal("active", ending.Status);

        var canceled = await Client.CancelSubscriptionAsync(subscription.Id);
        Assert.Equal("canceled", canceled.Status);

        var events = await ToListAsync(Client.ListEventsAsync(new EventListOptions { CreatedGte = DateTimeOffset.UnixEpoch }));
        Assert.Contains(events, e => e.Type == "customer.subscription.created");
        var deleted = Assert.Single(events, e => e.Type == "customer.subscription.deleted");
        Assert.Equal(deleted.Id, (await Client.GetEventAsync(deleted.Id)).Id);
        Assert.Equal(subscription.Id, deleted.GetDataObject<StripeSubscription>().Id);
    }

    [Fact]
    public async Task CheckoutAndPortalSessions_AreCreated()
    {
        var product = await Client.CreateProductAsync(new ProductCreateOptions { Name = "Seats" });
        var price = await Client.CreatePriceAsync(new PriceCreateOptions { Product = product.Id, Currency = "eur", UnitAmount = 1000, RecurringInterval = "month" });
        var checkout = await Client.CreateCheckoutSessionAsync(new CheckoutSessionCreateOptions
        {
            LineItems = [new CheckoutLineItemOptions { Price = price.Id, Quantity = 1 }],
            SuccessUrl = "https://app.example/ok",
            CancelUrl = "https://app.example/cancel",
            ClientReferenceId = "org-7",
            SubscriptionTrialPeriodDays = 4,
        });
        Assert.StartsWith("cs_", checkout.Id, StringComparison.Ordinal);
        Assert.StartsWith(_stripe.BaseAddress.ToString(), checkout.Url, StringComparison.Ordinal);

        var subscriptionId = await _stripe.CompleteCheckoutAsync(checkout.Id);
        var subscription = await Client.GetSubscriptionAsync(subscriptionId);
        var portal = await Client.CreatePortalSessionAsync(new PortalSessionCreateOptions { Customer = subscription.Customer, ReturnUrl = "https://app.example/account" });
        Assert.StartsWith("bps_", portal.Id, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(portal.Url));
    }

    [Fact]
    public async Task SameIdempotencyKey_ReplaysTheOriginalAndADifferentBodyIsRefused()
    {
        var options = new CustomerCreateOptions { Email = "idem@example.com" };
        var first = await Client.CreateCustomerAsync(options, new StripeRequestOptions { IdempotencyKey = "link:org-1:customer" });
        var second = await Client.CreateCustomerAsync(options, new StripeRequestOptions { IdempotencyKey = "link:org-1:customer" });

        Assert.Equal(first.Id, second.Id);
        Assert.Single(_stripe.State.Customers);

        var changed = await Assert.ThrowsAsync<StripeApiException>(() =>
            Client.CreateCustomerAsync(new CustomerCreateOptions { Email = "other@example.com" }, new StripeRequestOptions { IdempotencyKey = "link:org-1:customer" }));
        Assert.Equal("idempotency_error", changed.ErrorType);
        Assert.Single(_stripe.State.Customers);
    }

    [Fact]
    public async Task InjectedFaults_AreRetriedWithTheSameKeyAndCreateOneCustomer()
    {
        _stripe.InjectFault("/v1/customers", StripeFault.Status(500), count: 1);
        _stripe.InjectFault("/v1/customers", StripeFault.DropConnection(), count: 1);

        var customer = await Client.CreateCustomerAsync(new CustomerCreateOptions { Email = "retry@example.com" });

        var attempts = _stripe.Requests.Where(r => r.Method == "POST" && r.Path == "/v1/customers").ToList();
        Assert.Equal(3, attempts.Count);
        Assert.Single(attempts.Select(a => a.IdempotencyKey).Distinct());
        Assert.Equal(customer.Id, Assert.Single(_stripe.State.Customers).Id);
    }

    [Fact]
    public async Task NonRetryableFault_IsNotRetried()
    {
        _stripe.InjectFault("/v1/customers", StripeFault.Status(500, shouldRetry: false), count: 1);

        var error = await Assert.ThrowsAsync<StripeApiException>(() => Client.CreateCustomerAsync(new CustomerCreateOptions { Email = "x@example.com" }));

        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Single(_stripe.Requests, r => r.Path == "/v1/customers");
        Assert.Empty(_stripe.State.Customers);
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
