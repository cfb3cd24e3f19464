using System.Net;
using VaultAI.Billing.Testing.Tests.Support;

namespace VaultAI.Billing.Testing.Tests.Api;

public class ValidationTests
{
    [Fact]
    public async Task CreateCustomer_SdkBody_ReturnsStripeShapedCustomerWithRequestId()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);

        var response = await http.PostAsync("/v1/customers", "email=a%2Bb%40example.com&metadata[organization_id]=x");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.StartsWith("cus_", response.Str("id"));
        Assert.Equal("customer", response.Str("object"));
        Assert.Equal("a+b@example.com", response.Str("email"));
        Assert.Equal("x", response.Json["metadata"]!["organization_id"]!.GetValue<string>());
        Assert.False(response.Json["livemode"]!.GetValue<bool>());
        Assert.Equal(stripe.Clock.GetUtcNow().ToUnixTimeSeconds(), response.Json["created"]!.GetValue<long>());
        Assert.StartsWith("req_", response.Header("Request-Id"));
        Assert.StartsWith("http://127.0.0.1:", stripe.BaseAddress.ToString());
    }

    [Fact]
    public async Task Post_UnknownParameter_Returns400NamingIt()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);

        var response = await http.PostAsync("/v1/customers", "email=a%40example.com&colour=blue");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("invalid_request_error", response.Error["type"]!.GetValue<string>());
        Assert.Equal("Received unknown parameter: colour", response.Error["message"]!.GetValue<string>());
        Assert.Equal("colour", response.Error["param"]!.GetValue<string>());
        Assert.Empty(stripe.State.Customers);
    }

    [Fact]
    public async Task Post_MissingRequiredParameter_Returns400WithParam()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);

        var response = await http.PostAsync("/v1/subscriptions", "items[0][price]=price_abc");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("invalid_request_error", response.Error["type"]!.GetValue<string>());
        Assert.Equal("customer", response.Error["param"]!.GetValue<string>());
        Assert.True(response.Error.ContainsKey("code"));
    }

    [Fact]
    public async Task Get_UnknownId_Returns404ResourceMissing()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);

        var response = await http.GetAsync("/v1/customers/cus_doesnotexist");

        Assert.Equal(HttpStatusCode.NotFound, response.Status);
        Assert.Equal("resource_missing", response.Error["code"]!.GetValue<string>());
        Assert.Equal("id", response.Error["param"]!.GetValue<string>());
        Assert.Equal("invalid_request_error", response.Error["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Request_WrongApiKey_Returns401WithoutEchoingTheKey()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe, apiKey: "sk_test_wrong_key_12345");

        var response = await http.GetAsync("/v1/customers");

        Assert.Equal(HttpStatusCode.Unauthorized, response.Status);
        Assert.Equal("invalid_request_error", response.Error["type"]!.GetValue<string>());
        Assert.Contains("API Key", response.Error["message"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("sk_test_wrong_key_12345", response.Raw);
        Assert.DoesNotContain("12345", response.Raw);
    }

    [Fact]
    public async Task Request_MissingApiKey_Returns401()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        http.Client.DefaultRequestHeaders.Authorization = null;

        var response = await http.PostAsync("/v1/customers", "email=x%40example.com");

        Assert.Equal(HttpStatusCode.Unauthorized, response.Status);
        Assert.Contains("did not provide an API key", response.Error["message"]!.GetValue<string>());
        Assert.Empty(stripe.State.Customers);
    }

    [Theory]
    [InlineData("2026-10-28.endive", HttpStatusCode.OK)]
    [InlineData("2024-06-20", HttpStatusCode.OK)]
    [InlineData("latest", HttpStatusCode.BadRequest)]
    [InlineData("2026/10/28", HttpStatusCode.BadRequest)]
    public async Task Request_StripeVersionHeader_IsValidated(string version, HttpStatusCode expected)
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        http.Client.DefaultRequestHeaders.Remove("Stripe-Version");
        http.Client.DefaultRequestHeaders.TryAddWithoutValidation("Stripe-Version", version);

        var response = await http.GetAsync("/v1/customers");

        Assert.Equal(expected, response.Status);
        if (expected == HttpStatusCode.BadRequest)
        {
            Assert.Equal("invalid_request_error", response.Error["type"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Subscription_QuantityOnMeteredPrice_Returns400()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        var meter = await Catalog.MeterAsync(http, "api_calls", "sum");
        var price = await Catalog.MeteredPriceAsync(http, meter, "0.5");
        var customer = await Catalog.CustomerAsync(http);

        var response = await http.PostAsync("/v1/subscriptions", $"customer={customer}&items[0][price]={price}&items[0][quantity]=3");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("items[0][quantity]", response.Error["param"]!.GetValue<string>());
        Assert.Empty(stripe.State.Subscriptions);
    }

    [Fact]
    public async Task RequestLog_RecordsFormFieldsAndHeadersButNotAuthorization()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);

        await http.PostAsync("/v1/customers", "email=a%2Bb%40example.com&metadata[organization_id]=x", "key-1");

        var recorded = Assert.Single(stripe.Requests);
        Assert.Equal("POST", recorded.Method);
        Assert.Equal("/v1/customers", recorded.Path);
        Assert.Equal("a+b@example.com", recorded.Form["email"]);
        Assert.Equal("x", recorded.Form["metadata[organization_id]"]);
        Assert.Equal("key-1", recorded.IdempotencyKey);
        Assert.Equal(200, recorded.StatusCode);
        Assert.False(recorded.Headers.ContainsKey("Authorization"));
        Assert.Equal("2026-10-28.endive", recorded.Headers["Stripe-Version"]);
    }
}
