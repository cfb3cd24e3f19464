using System.Net;
using VaultAI.Billing.Stripe;

namespace VaultAI.Billing.Tests.Stripe;

public sealed class StripeClientErrorTests
{
    [Fact]
    public async Task CreateCustomer_CardError_MapsEveryField()
    {
        await using var server = await FakeStripeServer.StartAsync();
        const string body = """{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds.","param":"source","doc_url":"https://stripe.com/docs/error-codes/card-declined"}}""";
        server.Enqueue(ScriptedResponse.Json(body, 402));

        var ex = await Assert.ThrowsAsync<StripeApiException>(() => server.CreateClient().CreateCustomerAsync(new CustomerCreateOptions()));

        Assert.Equal(HttpStatusCode.PaymentRequired, ex.StatusCode);
        Assert.Equal("card_error", ex.ErrorType);
        Assert.Equal("card_declined", ex.Code);
        Assert.Equal("insufficient_funds", ex.DeclineCode);
        Assert.Equal("source", ex.Param);
        Assert.Equal("Your card has insufficient funds.", ex.StripeMessage);
        Assert.Equal("https://stripe.com/docs/error-codes/card-declined", ex.DocUrl);
        Assert.Equal("req_fake_1", ex.RequestId);
        Assert.Equal(body, ex.RawBody);
        Assert.True(ex.IsPermanent);
        Assert.Contains("req_fake_1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("card_declined", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCustomer_404_IsPermanentInvalidRequest()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.Enqueue(ScriptedResponse.Error(404, "invalid_request_error", "resource_missing", "No such customer: 'cus_x'", ("Stripe-Should-Retry", "false")));

        var ex = await Assert.ThrowsAsync<StripeApiException>(() => server.CreateClient().GetCustomerAsync("cus_x"));

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Equal("resource_missing", ex.Code);
        Assert.True(ex.IsPermanent);
    }

    [Fact]
    public async Task CreateCustomer_IdempotencyError_IsReported()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.Enqueue(ScriptedResponse.Error(400, "idempotency_error", message: "Keys for idempotent requests can only be used with the same parameters they were first used with."));

        var ex = await Assert.ThrowsAsync<StripeApiException>(() =>
            server.CreateClient().CreateCustomerAsync(new CustomerCreateOptions(), new StripeRequestOptions { IdempotencyKey = "k1" }));

        Assert.Equal("idempotency_error", ex.ErrorType);
    }

    [Theory]
    [InlineData(200, "<html>gateway</html>")]
    [InlineData(200, "")]
    [InlineData(200, "null")]
    [InlineData(200, "[]")]
    [InlineData(200, "{}")]
    [InlineData(200, """{"id":12""")]
    [InlineData(400, "<html>bad</html>")]
    [InlineData(400, "")]
    public async Task GetCustomer_UnexpectedBody_ThrowsInvalidResponseObject(int status, string body)
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.Enqueue(new ScriptedResponse(status, body));

        var ex = await Assert.ThrowsAsync<StripeApiException>(() => server.CreateClient().GetCustomerAsync("cus_1"));

        Assert.Equal((HttpStatusCode)status, ex.StatusCode);
        Assert.Null(ex.ErrorType);
        Assert.Equal("req_fake_1", ex.RequestId);
        Assert.Equal(body, ex.RawBody);
        Assert.Contains("invalid response object", ex.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP " + status, ex.Message, StringComparison.Ordinal);
        Assert.Contains("req_fake_1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCustomer_NonJson5xxEveryTime_RetriesThenThrowsInvalidResponseObject()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.Enqueue(new ScriptedResponse(502, "Bad Gateway"), new ScriptedResponse(502, "Bad Gateway"), new ScriptedResponse(502, "Bad Gateway"));

        var ex = await Assert.ThrowsAsync<StripeApiException>(() => server.CreateClient().GetCustomerAsync("cus_1"));

        Assert.Equal(HttpStatusCode.BadGateway, ex.StatusCode);
        Assert.Contains("invalid response object", ex.Message, StringComparison.Ordinal);
        Assert.Equal("req_fake_3", ex.RequestId);
        Assert.False(ex.IsPermanent);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task ListCustomers_PageWithoutData_ThrowsInvalidResponseObject()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.EnqueueJson("""{"object":"list","has_more":false}""");

        var ex = await Assert.ThrowsAsync<StripeApiException>(async () =>
        {
            await foreach (var unused in server.CreateClient().ListCustomersAsync())
            {
                Assert.Fail("no customer expected");
            }
        });

        Assert.Contains("invalid response object", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ErrorEchoingTheKey_IsRedactedFromMessageAndBody()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.Enqueue(ScriptedResponse.Error(401, "invalid_request_error", message: "Invalid API Key provided: " + FakeStripeServer.ApiKey));

        var ex = await Assert.ThrowsAsync<StripeApiException>(() => server.CreateClient().GetCustomerAsync("cus_1"));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.DoesNotContain(FakeStripeServer.ApiKey, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeStripeServer.ApiKey, ex.RawBody!, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeStripeServer.ApiKey, ex.StripeMessage!, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeStripeServer.ApiKey, ex.ToString(), StringComparison.Ordinal);
    }
}
