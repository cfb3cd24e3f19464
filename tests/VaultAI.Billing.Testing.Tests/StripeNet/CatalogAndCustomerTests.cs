using Stripe;
using Stripe.Billing;

namespace VaultAI.Billing.Testing.Tests.StripeNet;

public class CatalogAndCustomerTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Customers_CreateRetrieveUpdateListSearch_RoundTripThroughStripeNet()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var client = StripeNetClient.For(stripe);

        var created = await client.V1.Customers.CreateAsync(new CustomerCreateOptions
        {
            Email = "a+b@example.com",
            Name = "Acme",
            Metadata = new Dictionary<string, string> { ["organization_id"] = "org-1" },
        });
        await client.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "other@example.com", Metadata = new() { ["organization_id"] = "org-2" } });
        var fetched = await client.V1.Customers.GetAsync(created.Id);
        var updated = await client.V1.Customers.UpdateAsync(created.Id, new CustomerUpdateOptions { Name = "Acme Inc", Metadata = new() { ["plan"] = "pro" } });
        var list = await client.V1.Customers.ListAsync(new CustomerListOptions { Limit = 1 });
        var found = await client.V1.Customers.SearchAsync(new CustomerSearchOptions { Query = "metadata['organization_id']:'org-1'" });

        Assert.StartsWith("cus_", created.Id, StringComparison.Ordinal);
        Assert.Equal("a+b@example.com", fetched.Email);
        Assert.Equal("Acme", fetched.Name);
        Assert.Equal("org-1", fetched.Metadata["organization_id"]);
        Assert.Equal(stripe.Clock.GetUtcNow().ToUnixTimeSeconds(), new DateTimeOffset(fetched.Created, TimeSpan.Zero).ToUnixTimeSeconds());
        Assert.Equal("Acme Inc", updated.Name);
        Assert.Equal("pro", updated.Metadata["plan"]);
        Assert.Equal("org-1", updated.Metadata["organization_id"]);
        Assert.Single(list.Data);
        Assert.True(list.HasMore);
        Assert.Equal(created.Id, Assert.Single(found.Data).Id);
        Assert.False(found.HasMore);
    }

    [Fact]
    public async Task Customers_TestPaymentMethods_SetTheDefaultAndRefuseUnknownIdsWithoutCreatingAnything()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var client = StripeNetClient.For(stripe);

        var failing = await client.V1.Customers.CreateAsync(new CustomerCreateOptions
        {
            PaymentMethod = "pm_card_chargeCustomerFail",
            InvoiceSettings = new CustomerInvoiceSettingsOptions { DefaultPaymentMethod = "pm_card_chargeCustomerFail" },
        });
        var outcomeAfterCreate = Assert.Single(stripe.State.Customers).PaymentOutcome;
        var unknown = await Assert.ThrowsAsync<StripeException>(() => client.V1.Customers.CreateAsync(new CustomerCreateOptions
        {
            InvoiceSettings = new CustomerInvoiceSettingsOptions { DefaultPaymentMethod = "pm_nope" },
        }));
        var badUpdate = await Assert.ThrowsAsync<StripeException>(() => client.V1.Customers.UpdateAsync(failing.Id, new CustomerUpdateOptions
        {
            Email = "changed@example.com",
            InvoiceSettings = new CustomerInvoiceSettingsOptions { DefaultPaymentMethod = "pm_nope" },
        }));
        var fixedUp = await client.V1.Customers.UpdateAsync(failing.Id, new CustomerUpdateOptions
        {
            InvoiceSettings = new CustomerInvoiceSettingsOptions { DefaultPaymentMethod = "pm_card_visa" },
        });

        Assert.Equal("pm_card_chargeCustomerFail", failing.InvoiceSettings.DefaultPaymentMethodId);
        Assert.Equal(PaymentOutcome.Fails, outcomeAfterCreate);
        Assert.Equal("resource_missing", unknown.StripeError.Code);
        Assert.Equal("invoice_settings[default_payment_method]", unknown.StripeError.Param);
        Assert.Equal("resource_missing", badUpdate.StripeError.Code);
        Assert.Null(fixedUp.Email); // the refused update changed nothing
        Assert.Equal("pm_card_visa", fixedUp.InvoiceSettings.DefaultPaymentMethodId);
        Assert.Equal(PaymentOutcome.Succeeds, Assert.Single(stripe.State.Customers).PaymentOutcome);
    }

    [Fact]
    public async Task Prices_WithLookupKeyAndMeter_DeserializeWithRecurringMeter()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var client = StripeNetClient.For(stripe);

        var product = await client.V1.Products.CreateAsync(new ProductCreateOptions { Name = "VaultAI Pro" });
        var meter = await client.V1.Billing.Meters.CreateAsync(new MeterCreateOptions
        {
            DisplayName = "API calls",
            EventName = "api_calls",
            DefaultAggregation = new MeterDefaultAggregationOptions { Formula = "sum" },
            CustomerMapping = new MeterCustomerMappingOptions { Type = "by_id", EventPayloadKey = "stripe_customer_id" },
            ValueSettings = new MeterValueSettingsOptions { EventPayloadKey = "value" },
        });
        var licensed = await client.V1.Prices.CreateAsync(new PriceCreateOptions
        {
            Currency = "usd",
            UnitAmount = 2000,
            Product = product.Id,
            Recurring = new PriceRecurringOptions { Interval = "month" },
            LookupKey = "pro_monthly",
        });
        var metered = await client.V1.Prices.CreateAsync(new PriceCreateOptions
        {
            Currency = "usd",
            UnitAmountDecimal = 0.5m,
            Product = product.Id,
            Recurring = new PriceRecurringOptions { Interval = "month", UsageType = "metered", Meter = meter.Id },
        });
        var byKey = await client.V1.Prices.ListAsync(new PriceListOptions { LookupKeys = ["pro_monthly"] });
        var fetchedProduct = await client.V1.Products.GetAsync(product.Id);
        var fetchedMeter = await client.V1.Billing.Meters.GetAsync(meter.Id);

        Assert.Equal("VaultAI Pro", fetchedProduct.Name);
        Assert.True(fetchedProduct.Active);
        Assert.Equal("api_calls", fetchedMeter.EventName);
        Assert.Equal("sum", fetchedMeter.DefaultAggregation.Formula);
        Assert.Equal("stripe_customer_id", fetchedMeter.CustomerMapping.EventPayloadKey);
        Assert.Equal("value", fetchedMeter.ValueSettings.EventPayloadKey);
        Assert.Equal(licensed.Id, Assert.Single(byKey.Data).Id);
        Assert.Equal("pro_monthly", byKey.Data[0].LookupKey);
        Assert.Equal(2000, byKey.Data[0].UnitAmount);
        Assert.Equal("licensed", licensed.Recurring.UsageType);
        Assert.Equal("metered", metered.Recurring.UsageType);
        Assert.Equal(meter.Id, metered.Recurring.Meter);
        Assert.Equal(0.5m, metered.UnitAmountDecimal);
        Assert.Equal(product.Id, metered.ProductId);
    }

    [Fact]
    public async Task MeterEvents_V1AndV2Stream_AreAggregatedInEventSummaries()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var client = StripeNetClient.For(stripe);
        var customer = await client.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "m@example.com" });
        var meter = await client.V1.Billing.Meters.CreateAsync(new MeterCreateOptions
        {
            DisplayName = "API calls",
            EventName = "api_calls",
            DefaultAggregation = new MeterDefaultAggregationOptions { Formula = "sum" },
        });

        var v1 = await client.V1.Billing.MeterEvents.CreateAsync(new MeterEventCreateOptions
        {
            EventName = "api_calls",
            Identifier = "org-1-v1",
            Payload = new Dictionary<string, string> { ["stripe_customer_id"] = customer.Id, ["value"] = "45" },
            Timestamp = Start.AddMinutes(-10).UtcDateTime,
        });
        var session = await client.V2.Billing.MeterEventSession.CreateAsync(new Stripe.V2.Billing.MeterEventSessionCreateOptions());
        await client.V2.Billing.MeterEventStream.CreateAsync(
            new Stripe.V2.Billing.MeterEventStreamCreateOptions
            {
                Events =
                [
                    new Stripe.V2.Billing.MeterEventStreamCreateEventOptions
                    {
                        EventName = "api_calls",
                        Identifier = "org-1-v2",
                        Payload = new Dictionary<string, string> { ["stripe_customer_id"] = customer.Id, ["value"] = "5" },
                        Timestamp = Start.AddMinutes(-5).UtcDateTime,
                    },
                ],
            },
            new RequestOptions { ApiKey = session.AuthenticationToken });
        var summaries = await client.V1.Billing.Meters.EventSummaries.ListAsync(meter.Id, new MeterEventSummaryListOptions
        {
            Customer = customer.Id,
            StartTime = Start.AddHours(-1).UtcDateTime,
            EndTime = Start.AddHours(1).UtcDateTime,
        });

        Assert.Equal("api_calls", v1.EventName);
        Assert.Equal("org-1-v1", v1.Identifier);
        Assert.Equal("45", v1.Payload["value"]);
        Assert.StartsWith("mes_", session.Id, StringComparison.Ordinal);
        Assert.Equal("v2.billing.meter_event_session", session.Object);
        Assert.False(string.IsNullOrEmpty(session.AuthenticationToken));
        Assert.Equal(Start.UtcDateTime.AddMinutes(15), session.ExpiresAt);
        Assert.False(session.Livemode);
        var summary = Assert.Single(summaries.Data);
        Assert.Equal(50, summary.AggregatedValue);
        Assert.Equal(meter.Id, summary.Meter);
        Assert.Equal(2, stripe.State.MeterEvents.Count);
    }

    [Fact]
    public async Task MeterEventStream_ExpiredSession_RaisesTemporarySessionExpired()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var client = StripeNetClient.For(stripe);
        var session = await client.V2.Billing.MeterEventSession.CreateAsync(new Stripe.V2.Billing.MeterEventSessionCreateOptions());
        stripe.Clock.Advance(TimeSpan.FromMinutes(16));

        var error = await Assert.ThrowsAnyAsync<StripeException>(() => client.V2.Billing.MeterEventStream.CreateAsync(
            new Stripe.V2.Billing.MeterEventStreamCreateOptions
            {
                Events = [new Stripe.V2.Billing.MeterEventStreamCreateEventOptions { EventName = "api_calls", Payload = new() { ["stripe_customer_id"] = "cus_1", ["value"] = "1" } }],
            },
            new RequestOptions { ApiKey = session.AuthenticationToken }));

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, error.HttpStatusCode);
        Assert.Equal("temporary_session_expired", error.StripeError?.Type);
    }
}
