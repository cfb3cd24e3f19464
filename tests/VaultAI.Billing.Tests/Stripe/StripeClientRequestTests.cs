using System.Text.Json;
using VaultAI.Billing.Stripe;

namespace VaultAI.Billing.Tests.Stripe;

/// <summary>What each operation puts on the wire: method, path, headers, exact body or query.</summary>
public sealed class StripeClientRequestTests
{
    private static async Task<(RecordedRequest Request, T Result)> SendOneAsync<T>(string responseJson, Func<IStripeClient, Task<T>> call)
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.EnqueueJson(responseJson);
        var result = await call(server.CreateClient());
        return (Assert.Single(server.Requests), result);
    }

    private static async Task<(RecordedRequest Request, List<T> Items)> ListOneAsync<T>(string responseJson, Func<IStripeClient, IAsyncEnumerable<T>> call)
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.EnqueueJson(responseJson);
        var items = new List<T>();
        await foreach (var item in call(server.CreateClient()))
        {
            items.Add(item);
        }

        return (Assert.Single(server.Requests), items);
    }

    private static void AssertPost(RecordedRequest request, string path, string body)
    {
        Assert.Equal("POST", request.Method);
        Assert.Equal(path, request.Path);
        Assert.Equal(body, request.Body);
        Assert.StartsWith("application/x-www-form-urlencoded", request.Header("Content-Type"), StringComparison.Ordinal);
        Assert.StartsWith("vaultai-", request.Header("Idempotency-Key"), StringComparison.Ordinal);
        AssertCommonHeaders(request);
    }

    private static void AssertGet(RecordedRequest request, string path, string query, string method = "GET")
    {
        Assert.Equal(method, request.Method);
        Assert.Equal(path, request.Path);
        Assert.Equal(query, request.Query);
        Assert.Null(request.Header("Idempotency-Key"));
        Assert.Equal(string.Empty, request.Body);
        AssertCommonHeaders(request);
    }

    private static void AssertCommonHeaders(RecordedRequest request)
    {
        Assert.Equal("Bearer " + FakeStripeServer.ApiKey, request.Header("Authorization"));
        Assert.Equal("2026-10-28.endive", request.Header("Stripe-Version"));
        Assert.Equal("application/json", request.Header("Accept"));
        Assert.Contains("VaultAI.Billing/", request.Header("User-Agent"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateCustomer_NodeSdkVector_SendsExactBody()
    {
        var (request, customer) = await SendOneAsync(StripeJson.Customer(), c => c.CreateCustomerAsync(new CustomerCreateOptions
        {
            Email = "a+b@example.com",
            Metadata = new Dictionary<string, string?> { ["organization_id"] = "x" },
        }));

        AssertPost(request, "/v1/customers", "email=a%2Bb%40example.com&metadata[organization_id]=x");
        Assert.Equal("cus_123", customer.Id);
        Assert.Equal("org_1", customer.Metadata["organization_id"]);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), customer.Created);
    }

    [Fact]
    public async Task CreateSubscription_NodeSdkVector_SendsExactBody()
    {
        var (request, subscription) = await SendOneAsync(StripeJson.Subscription(), c => c.CreateSubscriptionAsync(new SubscriptionCreateOptions
        {
            Customer = "cus_123",
            Items = [new SubscriptionItemOptions { Price = "price_abc" }],
            TrialPeriodDays = 4,
        }));

        AssertPost(request, "/v1/subscriptions", "customer=cus_123&items[0][price]=price_abc&trial_period_days=4");
        Assert.Equal("trialing", subscription.Status);

        // The period comes from the first item when the subscription itself has none (2025-03-31.basil and later).
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1702592000), subscription.CurrentPeriodEnd);
        Assert.Equal("mtr_123", subscription.Items[0].Price!.Recurring!.Meter);
    }

    [Fact]
    public async Task CreateMeterEvent_NodeSdkVector_SendsExactBody()
    {
        var (request, meterEvent) = await SendOneAsync(StripeJson.MeterEvent(), c => c.CreateMeterEventAsync(new MeterEventCreateOptions
        {
            EventName = "api_calls",
            StripeCustomerId = "cus_123",
            Value = 45,
            Identifier = "org-x-2026-01-01T00:00Z",
            Timestamp = DateTimeOffset.FromUnixTimeSeconds(1795000000),
        }));

        AssertPost(request, "/v1/billing/meter_events",
            "event_name=api_calls&payload[stripe_customer_id]=cus_123&payload[value]=45&identifier=org-x-2026-01-01T00%3A00Z&timestamp=1795000000");
        Assert.Equal("45", meterEvent.Payload["value"]);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1795000000), meterEvent.Timestamp);
    }

    [Fact]
    public async Task CreateMeter_NodeSdkVector_SendsExactBody()
    {
        var (request, meter) = await SendOneAsync(StripeJson.Meter(), c => c.CreateMeterAsync(new MeterCreateOptions
        {
            DisplayName = "API calls",
            EventName = "api_calls",
            DefaultAggregationFormula = "sum",
        }));

        AssertPost(request, "/v1/billing/meters",
            "display_name=API%20calls&event_name=api_calls&default_aggregation[formula]=sum&customer_mapping[type]=by_id" +
            "&customer_mapping[event_payload_key]=stripe_customer_id&value_settings[event_payload_key]=value");
        Assert.Equal("sum", meter.DefaultAggregation);
        Assert.Equal("stripe_customer_id", meter.CustomerMappingEventPayloadKey);
    }

    [Fact]
    public async Task CreatePrice_NodeSdkVector_SendsExactBody()
    {
        var (request, price) = await SendOneAsync(StripeJson.Price(), c => c.CreatePriceAsync(new PriceCreateOptions
        {
            Currency = "usd",
            UnitAmountDecimal = "0.5",
            Product = "prod_1",
            RecurringInterval = "month",
            RecurringUsageType = "metered",
            RecurringMeter = "mtr_123",
        }));

        AssertPost(request, "/v1/prices",
            "currency=usd&unit_amount_decimal=0.5&product=prod_1&recurring[interval]=month&recurring[usage_type]=metered&recurring[meter]=mtr_123");
        Assert.Equal("0.5", price.UnitAmountDecimal);
        Assert.Equal("metered", price.Recurring!.UsageType);
    }

    [Fact]
    public async Task ListCustomers_NodeSdkVector_SendsExactQuery()
    {
        var (request, customers) = await ListOneAsync(StripeJson.List(StripeJson.Customer()), c => c.ListCustomersAsync(new CustomerListOptions
        {
            Limit = 3,
            StartingAfter = "cus_prev",
            Expand = ["data.default_source"],
        }));

        AssertGet(request, "/v1/customers", "?limit=3&starting_after=cus_prev&expand[0]=data.default_source");
        Assert.Equal("cus_123", Assert.Single(customers).Id);
    }

    [Fact]
    public async Task GetCustomer_SendsGetWithoutIdempotencyKey()
    {
        var (request, customer) = await SendOneAsync(StripeJson.Customer("cus_9"), c => c.GetCustomerAsync("cus_9"));

        AssertGet(request, "/v1/customers/cus_9", string.Empty);
        Assert.Equal("cus_9", customer.Id);
    }

    [Fact]
    public async Task UpdateCustomer_CallerKey_SentAsIdempotencyKey()
    {
        var (request, _) = await SendOneAsync(StripeJson.Customer(), c => c.UpdateCustomerAsync(
            "cus_123",
            new CustomerUpdateOptions { Name = "Acme GmbH", Metadata = new Dictionary<string, string?> { ["legacy"] = null } },
            new StripeRequestOptions { IdempotencyKey = "link:org_1:customer" }));

        Assert.Equal("/v1/customers/cus_123", request.Path);
        Assert.Equal("name=Acme%20GmbH&metadata[legacy]=", request.Body);
        Assert.Equal("link:org_1:customer", request.Header("Idempotency-Key"));
    }

    [Fact]
    public async Task SearchCustomers_SendsQueryAndLimit()
    {
        var (request, customers) = await ListOneAsync(StripeJson.List(StripeJson.Customer()), c => c.SearchCustomersAsync("metadata['organization_id']:'x'"));

        AssertGet(request, "/v1/customers/search", "?query=metadata%5B%27organization_id%27%5D%3A%27x%27&limit=100");
        Assert.Single(customers);
    }

    [Fact]
    public async Task GetSubscription_SendsGet()
    {
        var (request, subscription) = await SendOneAsync(StripeJson.Subscription("sub_9"), c => c.GetSubscriptionAsync("sub_9"));

        AssertGet(request, "/v1/subscriptions/sub_9", string.Empty);
        Assert.Equal("sub_9", subscription.Id);
    }

    [Fact]
    public async Task UpdateSubscription_ItemsAndFlags_SendsExactBody()
    {
        var (request, _) = await SendOneAsync(StripeJson.Subscription(), c => c.UpdateSubscriptionAsync("sub_123", new SubscriptionUpdateOptions
        {
            Items = [new SubscriptionItemOptions { Id = "si_1", Deleted = true }, new SubscriptionItemOptions { Price = "price_new" }],
            CancelAtPeriodEnd = false,
            ProrationBehavior = "none",
        }));

        AssertPost(request, "/v1/subscriptions/sub_123",
            "items[0][id]=si_1&items[0][deleted]=true&items[1][price]=price_new&cancel_at_period_end=false&proration_behavior=none");
    }

    [Fact]
    public async Task CancelSubscription_SendsDeleteWithoutIdempotencyKey()
    {
        var (request, subscription) = await SendOneAsync(StripeJson.Subscription(), c => c.CancelSubscriptionAsync(
            "sub_123", new StripeRequestOptions { IdempotencyKey = "ignored-on-delete" }));

        AssertGet(request, "/v1/subscriptions/sub_123", string.Empty, method: "DELETE");
        Assert.Equal("sub_123", subscription.Id);
    }

    [Fact]
    public async Task ListSubscriptions_StatusAll_SendsFiltersThenLimit()
    {
        var (request, subscriptions) = await ListOneAsync(StripeJson.List(StripeJson.Subscription()), c => c.ListSubscriptionsAsync(
            new SubscriptionListOptions { Customer = "cus_123", Status = "all" }));

        AssertGet(request, "/v1/subscriptions", "?customer=cus_123&status=all&limit=100");
        Assert.Single(subscriptions);
    }

    [Fact]
    public async Task CreateProduct_SendsExactBody()
    {
        var (request, product) = await SendOneAsync(StripeJson.Product(), c => c.CreateProductAsync(new ProductCreateOptions
        {
            Name = "VaultAI",
            Metadata = new Dictionary<string, string?> { ["vaultai"] = "true" },
        }));

        AssertPost(request, "/v1/products", "name=VaultAI&metadata[vaultai]=true");
        Assert.Equal("VaultAI", product.Name);
    }

    [Fact]
    public async Task ListProducts_ActiveFilter_SendsQuery()
    {
        var (request, _) = await ListOneAsync(StripeJson.List(StripeJson.Product()), c => c.ListProductsAsync(new ProductListOptions { Active = true, Limit = 10 }));

        AssertGet(request, "/v1/products", "?active=true&limit=10");
    }

    [Fact]
    public async Task ListPrices_LookupKeys_SendsIndexedQuery()
    {
        var (request, prices) = await ListOneAsync(StripeJson.List(StripeJson.Price()), c => c.ListPricesAsync(new PriceListOptions
        {
            LookupKeys = ["api_calls", "seats"],
            Active = true,
            Product = "prod_1",
        }));

        AssertGet(request, "/v1/prices", "?lookup_keys[0]=api_calls&lookup_keys[1]=seats&active=true&product=prod_1&limit=100");
        Assert.Equal("api_calls", Assert.Single(prices).LookupKey);
    }

    [Fact]
    public async Task ListMeters_StatusFilter_SendsQuery()
    {
        var (request, meters) = await ListOneAsync(StripeJson.List(StripeJson.Meter()), c => c.ListMetersAsync(new MeterListOptions { Status = "active" }));

        AssertGet(request, "/v1/billing/meters", "?status=active&limit=100");
        Assert.Equal("api_calls", Assert.Single(meters).EventName);
    }

    [Fact]
    public async Task ListMeterEventSummaries_SendsRequiredQuery()
    {
        const string summary = """{"id":"mtrusg_1","object":"billing.meter_event_summary","meter":"mtr_123","aggregated_value":45.5,"start_time":1767225600,"end_time":1767312000}""";
        var (request, summaries) = await ListOneAsync(StripeJson.List(summary), c => c.ListMeterEventSummariesAsync("mtr_123", new MeterEventSummaryListOptions
        {
            Customer = "cus_123",
            StartTime = DateTimeOffset.FromUnixTimeSeconds(1767225600),
            EndTime = DateTimeOffset.FromUnixTimeSeconds(1767312000),
            ValueGroupingWindow = "day",
        }));

        AssertGet(request, "/v1/billing/meters/mtr_123/event_summaries",
            "?customer=cus_123&start_time=1767225600&end_time=1767312000&value_grouping_window=day&limit=100");
        Assert.Equal(45.5m, Assert.Single(summaries).AggregatedValue);
    }

    [Fact]
    public async Task CreateMeterEventSession_PostsEmptyJsonToV2WithApiKey()
    {
        var (request, session) = await SendOneAsync(
            """{"id":"mes_1","object":"v2.billing.meter_event_session","authentication_token":"meter_tok_fake","created":"2026-01-01T00:00:00.000Z","expires_at":"2026-01-01T00:15:00.000Z","livemode":false}""",
            c => c.CreateMeterEventSessionAsync());

        Assert.Equal("POST", request.Method);
        Assert.Equal("/v2/billing/meter_event_session", request.Path);
        Assert.Equal("{}", request.Body);
        Assert.StartsWith("application/json", request.Header("Content-Type"), StringComparison.Ordinal);
        Assert.NotNull(request.Header("Idempotency-Key"));
        AssertCommonHeaders(request);
        Assert.Equal("meter_tok_fake", session.AuthenticationToken);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 15, 0, TimeSpan.Zero), session.ExpiresAt);
        Assert.DoesNotContain("meter_tok_fake", session.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendMeterEventStream_PostsJsonWithSessionToken()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.Enqueue(ScriptedResponse.Json("{}", 202));
        var session = new StripeMeterEventSession { Id = "mes_1", AuthenticationToken = "meter_tok_fake", ExpiresAt = DateTimeOffset.UnixEpoch };

        await server.CreateClient().SendMeterEventStreamAsync(session, [new MeterEventStreamItem
        {
            EventName = "api_calls",
            Identifier = "org-x-1",
            Timestamp = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
            StripeCustomerId = "cus_123",
            Value = 45,
        }]);

        var request = Assert.Single(server.Requests);
        Assert.Equal("/v2/billing/meter_event_stream", request.Path);
        Assert.Equal("Bearer meter_tok_fake", request.Header("Authorization"));
        Assert.Equal(
            """{"events":[{"event_name":"api_calls","identifier":"org-x-1","timestamp":"2026-01-01T00:00:00.000Z","payload":{"stripe_customer_id":"cus_123","value":"45"}}]}""",
            request.Body);
    }

    [Fact]
    public async Task SendMeterEventStream_MoreThan100Events_ThrowsBeforeSending()
    {
        await using var server = await FakeStripeServer.StartAsync();
        var session = new StripeMeterEventSession { Id = "mes_1", AuthenticationToken = "tok" };
        var events = Enumerable.Range(0, 101).Select(i => new MeterEventStreamItem
        {
            EventName = "api_calls",
            Identifier = "id-" + i,
            StripeCustomerId = "cus_1",
            Value = 1,
        }).ToList();

        await Assert.ThrowsAsync<ArgumentException>(() => server.CreateClient().SendMeterEventStreamAsync(session, events));
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task SendMeterEventStream_ExpiredSession_SurfacesTemporarySessionExpired()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.Enqueue(ScriptedResponse.Error(401, "temporary_session_expired", "billing_meter_event_session_expired", "The session expired."));
        var session = new StripeMeterEventSession { Id = "mes_1", AuthenticationToken = "tok" };
        var item = new MeterEventStreamItem { EventName = "api_calls", Identifier = "id-1", StripeCustomerId = "cus_1", Value = 1 };

        var ex = await Assert.ThrowsAsync<StripeApiException>(() => server.CreateClient().SendMeterEventStreamAsync(session, [item]));

        Assert.Equal("temporary_session_expired", ex.ErrorType);
        Assert.False(ex.IsPermanent);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task CreateCheckoutSession_SendsExactBody()
    {
        var (request, session) = await SendOneAsync(
            """{"id":"cs_1","object":"checkout.session","url":"https://checkout.stripe.com/c/cs_1","mode":"subscription","status":"open","client_reference_id":"org_1","customer":null,"subscription":null,"metadata":{}}""",
            c => c.CreateCheckoutSessionAsync(new CheckoutSessionCreateOptions
            {
                LineItems = [new CheckoutLineItemOptions { Price = "price_seat", Quantity = 2 }, new CheckoutLineItemOptions { Price = "price_metered" }],
                SuccessUrl = "https://app.example.com/ok?s={CHECKOUT_SESSION_ID}",
                CancelUrl = "https://app.example.com/cancel",
                Customer = "cus_123",
                ClientReferenceId = "org_1",
                SubscriptionTrialPeriodDays = 14,
                SubscriptionMetadata = new Dictionary<string, string?> { ["organization_id"] = "org_1" },
            }));

        AssertPost(request, "/v1/checkout/sessions",
            "mode=subscription&line_items[0][price]=price_seat&line_items[0][quantity]=2&line_items[1][price]=price_metered" +
            "&success_url=https%3A%2F%2Fapp.example.com%2Fok%3Fs%3D%7BCHECKOUT_SESSION_ID%7D&cancel_url=https%3A%2F%2Fapp.example.com%2Fcancel" +
            "&customer=cus_123&client_reference_id=org_1&subscription_data[trial_period_days]=14&subscription_data[metadata][organization_id]=org_1");
        Assert.Equal("https://checkout.stripe.com/c/cs_1", session.Url);
    }

    [Fact]
    public async Task CreatePortalSession_SendsExactBody()
    {
        var (request, session) = await SendOneAsync(
            """{"id":"bps_1","object":"billing_portal.session","url":"https://billing.stripe.com/p/session/x","customer":"cus_123","return_url":"https://app.example.com/billing"}""",
            c => c.CreatePortalSessionAsync(new PortalSessionCreateOptions { Customer = "cus_123", ReturnUrl = "https://app.example.com/billing" }));

        AssertPost(request, "/v1/billing_portal/sessions", "customer=cus_123&return_url=https%3A%2F%2Fapp.example.com%2Fbilling");
        Assert.Equal("https://billing.stripe.com/p/session/x", session.Url);
    }

    [Fact]
    public async Task ListInvoices_SendsFilters_AndReadsBasilShape()
    {
        var (request, invoices) = await ListOneAsync(StripeJson.List(StripeJson.Invoice()), c => c.ListInvoicesAsync(
            new InvoiceListOptions { Customer = "cus_123", Subscription = "sub_123", Status = "open", Limit = 5 }));

        AssertGet(request, "/v1/invoices", "?customer=cus_123&subscription=sub_123&status=open&limit=5");
        var invoice = Assert.Single(invoices);
        Assert.Equal("sub_123", invoice.Subscription);
        Assert.Equal("price_abc", Assert.Single(invoice.Lines).PriceId);
        Assert.Equal(4500, invoice.AmountDue);
    }

    [Fact]
    public async Task GetInvoice_SendsGet()
    {
        var (request, invoice) = await SendOneAsync(StripeJson.Invoice("in_9"), c => c.GetInvoiceAsync("in_9"));

        AssertGet(request, "/v1/invoices/in_9", string.Empty);
        Assert.Equal("VA-0001", invoice.Number);
    }

    [Fact]
    public async Task PreviewInvoice_PostsToCreatePreview()
    {
        var preview = StripeJson.Invoice().Replace("\"id\":\"in_1\",", string.Empty, StringComparison.Ordinal);
        var (request, invoice) = await SendOneAsync(preview, c => c.PreviewInvoiceAsync(new InvoicePreviewOptions { Customer = "cus_123", Subscription = "sub_123" }));

        AssertPost(request, "/v1/invoices/create_preview", "customer=cus_123&subscription=sub_123");
        Assert.Null(invoice.Id);
        Assert.Equal(4500, invoice.Total);
    }

    [Fact]
    public async Task GetEvent_SendsGet()
    {
        var (request, stripeEvent) = await SendOneAsync(StripeJson.Event("evt_9"), c => c.GetEventAsync("evt_9"));

        AssertGet(request, "/v1/events/evt_9", string.Empty);
        Assert.Equal("sub_123", stripeEvent.GetDataObject<StripeSubscription>().Id);
    }

    [Fact]
    public async Task ListEvents_CreatedGteAndTypes_SendsQuery()
    {
        var (request, events) = await ListOneAsync(StripeJson.List(StripeJson.Event()), c => c.ListEventsAsync(new EventListOptions
        {
            CreatedGte = DateTimeOffset.FromUnixTimeSeconds(1700000000),
            Types = ["invoice.paid", "customer.subscription.updated"],
        }));

        AssertGet(request, "/v1/events", "?created[gte]=1700000000&types[0]=invoice.paid&types[1]=customer.subscription.updated&limit=100");
        Assert.Equal(JsonValueKind.Object, Assert.Single(events).Data.Object.ValueKind);
    }

    [Fact]
    public async Task PathIds_AreEscaped()
    {
        var (request, _) = await SendOneAsync(StripeJson.Customer(), c => c.GetCustomerAsync("cus/../x"));

        Assert.Equal("/v1/customers/cus%2F..%2Fx", request.Path);
    }
}
