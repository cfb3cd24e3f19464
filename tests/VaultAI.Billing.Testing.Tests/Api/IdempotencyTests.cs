using System.Net;
using VaultAI.Billing.Testing.Tests.Support;

namespace VaultAI.Billing.Testing.Tests.Api;

public class IdempotencyTests
{
    [Fact]
    public async Task Post_SameKeySameParameters_ReplaysTheStoredResponse()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);

        var first = await http.PostAsync("/v1/customers", "email=a%40example.com&metadata[organization_id]=org-1", "link:org-1:customer");
        var second = await http.PostAsync("/v1/customers", "metadata[organization_id]=org-1&email=a%40example.com", "link:org-1:customer");

        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal(first.Raw, second.Raw);
        Assert.Equal("true", second.Header("Idempotent-Replayed"));
        Assert.Null(first.Header("Idempotent-Replayed"));
        Assert.Single(stripe.State.Customers);
    }

    [Fact]
    public async Task Post_SameKeyDifferentParameters_Returns400IdempotencyError()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);

        await http.PostAsync("/v1/customers", "email=a%40example.com", "key-42");
        var changed = await http.PostAsync("/v1/customers", "email=b%40example.com", "key-42");

        Assert.Equal(HttpStatusCode.BadRequest, changed.Status);
        Assert.Equal("idempotency_error", changed.Error["type"]!.GetValue<string>());
        Assert.Single(stripe.State.Customers);
    }

    [Fact]
    public async Task Post_SameKeyOnAnotherEndpoint_IsIndependent()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);

        var customer = await http.PostAsync("/v1/customers", "email=a%40example.com", "shared-key");
        var product = await http.PostAsync("/v1/products", "name=Pro", "shared-key");

        Assert.Equal(HttpStatusCode.OK, product.Status);
        Assert.StartsWith("prod_", product.Str("id"));
        Assert.StartsWith("cus_", customer.Str("id"));
    }

    [Fact]
    public async Task Post_ErrorsDuringExecutionAreReplayedToo()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);

        var first = await http.PostAsync("/v1/subscriptions", "customer=cus_missing&items[0][price]=price_x", "sub-key");
        var second = await http.PostAsync("/v1/subscriptions", "customer=cus_missing&items[0][price]=price_x", "sub-key");

        Assert.Equal(HttpStatusCode.NotFound, first.Status);
        Assert.Equal(HttpStatusCode.NotFound, second.Status);
        Assert.Equal("true", second.Header("Idempotent-Replayed"));
    }
}
