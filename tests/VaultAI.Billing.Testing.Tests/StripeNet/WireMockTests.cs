using System.Net;
using System.Net.Sockets;
using System.Text;
using Stripe;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace VaultAI.Billing.Testing.Tests.StripeNet;

public class WireMockTests
{
    private static async Task<(Customer Customer, Price Price)> SetUpAsync(StripeClient client)
    {
        var customer = await client.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "w@example.com" });
        var price = await StripeNetClient.CreateMonthlyPriceAsync(client);
        return (customer, price);
    }

    [Fact]
    public async Task Server_StubInFrontOfSubscriptions_AnswersCardDeclinedOnceThenTheEngineAnswers()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var client = StripeNetClient.For(stripe);
        var (customer, price) = await SetUpAsync(client);
        stripe.Server
            .Given(Request.Create().WithPath("/v1/subscriptions").UsingPost())
            .AtPriority(1)
            .InScenario("declined once")
            .WillSetStateTo("declined")
            .RespondWith(Response.Create()
                .WithStatusCode(402)
                .WithHeader("Content-Type", "application/json")
                .WithBody("""{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card was declined."}}"""));
        var options = new SubscriptionCreateOptions { Customer = customer.Id, Items = [new SubscriptionItemOptions { Price = price.Id }] };

        var declined = await Assert.ThrowsAsync<StripeException>(() => client.V1.Subscriptions.CreateAsync(options));
        var subscription = await client.V1.Subscriptions.CreateAsync(options);

        Assert.Equal(HttpStatusCode.PaymentRequired, declined.HttpStatusCode);
        Assert.Equal("card_error", declined.StripeError.Type);
        Assert.Equal("card_declined", declined.StripeError.Code);
        Assert.Equal("insufficient_funds", declined.StripeError.DeclineCode);
        Assert.Equal("active", subscription.Status);
        Assert.Equal(subscription.Id, Assert.Single(stripe.State.Subscriptions).Id);
        Assert.Equal([402, 200], stripe.Requests.Where(r => r.Path == "/v1/subscriptions").Select(r => r.StatusCode));
    }

    [Fact]
    public async Task Server_StubWithDefaultPriority_WinsOverTheEngineAndIsLogged()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var client = StripeNetClient.For(stripe);
        stripe.Server
            .Given(Request.Create().WithPath("/v1/customers/cus_stubbed").UsingGet())
            .RespondWith(Response.Create()
                .WithStatusCode(200)
                .WithHeader("Content-Type", "application/json")
                .WithBody("""{"id":"cus_stubbed","object":"customer","email":"stub@example.com","metadata":{}}"""));

        var stubbed = await client.V1.Customers.GetAsync("cus_stubbed");
        var missing = await Assert.ThrowsAsync<StripeException>(() => client.V1.Customers.GetAsync("cus_other"));

        Assert.Equal("stub@example.com", stubbed.Email);
        Assert.Equal("resource_missing", missing.StripeError.Code);
        Assert.Equal([200, 404], stripe.Requests.Select(r => r.StatusCode));
        Assert.Equal(string.Empty, stripe.Requests[0].RequestId);
        Assert.StartsWith("req_", stripe.Requests[1].RequestId, StringComparison.Ordinal);
        Assert.Empty(stripe.State.Customers);
    }

    [Fact]
    public async Task InjectFault_TwoRetryable500s_StripeNetRetriesWithTheSameIdempotencyKeyAndSucceeds()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var client = StripeNetClient.For(stripe, maxNetworkRetries: 2);
        stripe.InjectFault("/v1/customers", StripeFault.Status(500, shouldRetry: true), count: 2);

        var customer = await client.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "retry@example.com" });

        var attempts = stripe.Requests.Where(r => r.Path == "/v1/customers").ToList();
        Assert.Equal([500, 500, 200], attempts.Select(r => r.StatusCode));
        Assert.Equal([true, true, false], attempts.Select(r => r.Faulted));
        Assert.Single(attempts.Select(r => r.IdempotencyKey).Distinct());
        Assert.False(string.IsNullOrEmpty(attempts[0].IdempotencyKey));
        Assert.Equal(customer.Id, Assert.Single(stripe.State.Customers).Id);
    }

    [Fact]
    public async Task InjectFault_ShouldRetryFalse_StripeNetStopsAndRaisesTheError()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var client = StripeNetClient.For(stripe, maxNetworkRetries: 2);
        stripe.InjectFault("/v1/customers", StripeFault.Status(503, shouldRetry: false), count: 5);

        var error = await Assert.ThrowsAsync<StripeException>(() => client.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "x@example.com" }));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.HttpStatusCode);
        Assert.Equal("api_error", error.StripeError.Type);
        Assert.Single(stripe.Requests);
        Assert.Empty(stripe.State.Customers);
    }

    [Fact]
    public async Task InjectFault_DropConnection_StripeNetRetriesAndOneCustomerExists()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var client = StripeNetClient.For(stripe, maxNetworkRetries: 2);
        stripe.InjectFault("/v1/customers", StripeFault.DropConnection());

        var customer = await client.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "drop@example.com" });

        Assert.Equal([0, 200], stripe.Requests.Select(r => r.StatusCode));
        Assert.Equal(customer.Id, Assert.Single(stripe.State.Customers).Id);
    }

    [Fact]
    public async Task InjectFault_IsAWireMockMappingThatIsRemovedOnceUsed()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var client = StripeNetClient.For(stripe);
        var before = stripe.Server.Mappings.Count();
        stripe.InjectFault("/v1/products*", StripeFault.Status(429, shouldRetry: false, retryAfterSeconds: 3));

        var during = stripe.Server.Mappings.Count();
        var limited = await Assert.ThrowsAsync<StripeException>(() => client.V1.Products.CreateAsync(new ProductCreateOptions { Name = "P" }));
        var product = await client.V1.Products.CreateAsync(new ProductCreateOptions { Name = "P" });

        Assert.Equal(before + 1, during);
        Assert.Equal(before, stripe.Server.Mappings.Count());
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.HttpStatusCode);
        Assert.Equal("rate_limit", limited.StripeError.Code);
        Assert.Equal("3", Assert.Single(stripe.Server.LogEntries, e => e.ResponseMessage!.StatusCode is 429).ResponseMessage!.Headers!["Retry-After"].ToString());
        Assert.Equal("P", product.Name);
    }

    [Fact]
    public async Task InjectFault_DelayTheClientGivesUpOn_HasNoEffect()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var impatient = new HttpClient { BaseAddress = stripe.BaseAddress, Timeout = TimeSpan.FromMilliseconds(200) };
        impatient.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", stripe.ApiKey);
        // The delay leaves seconds between the client giving up and the delay's end, so a loaded machine still sees the
        // connection closed before the emulator would have acted.
        stripe.InjectFault("/v1/customers", StripeFault.Delay(TimeSpan.FromSeconds(3)));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            impatient.PostAsync("v1/customers", new StringContent("email=late%40example.com", Encoding.UTF8, "application/x-www-form-urlencoded")));
        await Task.Delay(TimeSpan.FromSeconds(3.5));

        Assert.Empty(stripe.State.Customers);
        var recorded = Assert.Single(stripe.Requests);
        Assert.True(recorded.Faulted);
        Assert.Equal(0, recorded.StatusCode);
    }

    [Fact]
    public async Task Requests_BuiltFromWireMockLog_CarryFormIdempotencyKeyAndRequestIdWithoutAuthorization()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var client = StripeNetClient.For(stripe);

        var customer = await client.V1.Customers.CreateAsync(
            new CustomerCreateOptions { Email = "a+b@example.com", Metadata = new() { ["organization_id"] = "org-1" } },
            new RequestOptions { IdempotencyKey = "link:org-1:customer" });
        await client.V1.Customers.ListAsync(new CustomerListOptions { Limit = 3 });

        Assert.Equal(stripe.Server.LogEntries.Count(), stripe.Requests.Count);
        var post = stripe.Requests[0];
        Assert.Equal("POST", post.Method);
        Assert.Equal("/v1/customers", post.Path);
        Assert.Equal("a+b@example.com", post.Form["email"]);
        Assert.Equal("org-1", post.Form["metadata[organization_id]"]);
        Assert.Equal("link:org-1:customer", post.IdempotencyKey);
        Assert.Equal(200, post.StatusCode);
        Assert.StartsWith("req_", post.RequestId, StringComparison.Ordinal);
        Assert.Contains("email=a%2Bb%40example.com", post.Body, StringComparison.Ordinal);
        Assert.False(post.Headers.ContainsKey("Authorization"));
        Assert.Equal("2026-10-28.endive", post.Headers["Stripe-Version"]);
        Assert.False(post.Faulted);
        var get = stripe.Requests[1];
        Assert.Equal("GET", get.Method);
        Assert.Equal("3", get.Form["limit"]);
        Assert.Contains("limit=3", get.Query, StringComparison.Ordinal);
        Assert.Null(get.IdempotencyKey);
        Assert.StartsWith("cus_", customer.Id, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MeterEventStream_RawPost_Answers200WithAnEmptyObject()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var client = StripeNetClient.For(stripe);
        var customer = await client.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "v2@example.com" });
        var session = await client.V2.Billing.MeterEventSession.CreateAsync(new Stripe.V2.Billing.MeterEventSessionCreateOptions());
        using var http = new HttpClient { BaseAddress = stripe.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "v2/billing/meter_event_stream")
        {
            Content = new StringContent(
                $$$"""{"events":[{"event_name":"api_calls","identifier":"v2-1","payload":{"stripe_customer_id":"{{{customer.Id}}}","value":"7"}}]}""",
                Encoding.UTF8,
                "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", session.AuthenticationToken);

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{}", await response.Content.ReadAsStringAsync());
        Assert.Equal(7, Assert.Single(stripe.State.MeterEvents).Value);
    }

    [Fact]
    public async Task StartAsync_FixedPort_ListensOnIPv4LoopbackOnly()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Port = port });
        using var v4 = new TcpClient(AddressFamily.InterNetwork);
        await v4.ConnectAsync(IPAddress.Loopback, port);
        using var v6 = new TcpClient(AddressFamily.InterNetworkV6);
        var v6Error = await Record.ExceptionAsync(() => v6.ConnectAsync(IPAddress.IPv6Loopback, port));

        Assert.True(v4.Connected);
        Assert.IsType<SocketException>(v6Error);
        Assert.Equal(new Uri($"http://127.0.0.1:{port}/"), stripe.BaseAddress);
    }

    [Fact]
    public async Task StartAsync_BusyFixedPort_FailsFastWithIOException()
    {
        await using var first = await StripeEmulator.StartAsync();
        var started = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<IOException>(() => StripeEmulator.StartAsync(new StripeEmulatorOptions { Port = first.Server.Port }));

        Assert.Contains("StripeEmulatorOptions.Port", error.Message, StringComparison.Ordinal);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"took {started.Elapsed}");
    }
}
