using VaultAI.Billing.Stripe;

namespace VaultAI.Billing.Tests.Stripe;

public sealed class StripeClientPaginationTests
{
    [Fact]
    public async Task ListSubscriptions_ThreePages_FollowsStartingAfterUntilHasMoreIsFalse()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.EnqueueJson(StripeJson.List(true, StripeJson.Subscription("sub_1"), StripeJson.Subscription("sub_2")));
        server.EnqueueJson(StripeJson.List(true, StripeJson.Subscription("sub_3")));
        server.EnqueueJson(StripeJson.List(false, StripeJson.Subscription("sub_4")));

        var ids = new List<string>();
        await foreach (var subscription in server.CreateClient().ListSubscriptionsAsync(new SubscriptionListOptions { Customer = "cus_1", Limit = 2 }))
        {
            ids.Add(subscription.Id);
        }

        Assert.Equal(["sub_1", "sub_2", "sub_3", "sub_4"], ids);
        Assert.Equal(
            ["?customer=cus_1&limit=2", "?customer=cus_1&limit=2&starting_after=sub_2", "?customer=cus_1&limit=2&starting_after=sub_3"],
            server.Requests.Select(r => r.Query).ToArray());
    }

    [Fact]
    public async Task ListProducts_StoppingEarly_DoesNotFetchFurtherPages()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.EnqueueJson(StripeJson.List(true, StripeJson.Product("prod_1"), StripeJson.Product("prod_2")));

        await foreach (var product in server.CreateClient().ListProductsAsync())
        {
            Assert.Equal("prod_1", product.Id);
            break;
        }

        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task SearchCustomers_TwoPages_FollowsNextPage()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.EnqueueJson($$$$"""{"object":"search_result","has_more":true,"next_page":"pg_abc+/=","data":[{{{{StripeJson.Customer("cus_1")}}}}]}""");
        server.EnqueueJson($$$$"""{"object":"search_result","has_more":false,"next_page":null,"data":[{{{{StripeJson.Customer("cus_2")}}}}]}""");

        var ids = new List<string>();
        await foreach (var customer in server.CreateClient().SearchCustomersAsync("email:'a@example.com'"))
        {
            ids.Add(customer.Id);
        }

        Assert.Equal(["cus_1", "cus_2"], ids);
        Assert.Equal(2, server.Requests.Count);
        Assert.DoesNotContain("page=", server.Requests[0].Query, StringComparison.Ordinal);
        Assert.EndsWith("&limit=100&page=pg_abc%2B%2F%3D", server.Requests[1].Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListInvoices_ErrorOnSecondPage_SurfacesAfterFirstPageItems()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.EnqueueJson(StripeJson.List(true, StripeJson.Invoice("in_1")));
        server.Enqueue(ScriptedResponse.Error(400, "invalid_request_error", "resource_missing"));

        var seen = new List<string?>();
        await Assert.ThrowsAsync<StripeApiException>(async () =>
        {
            await foreach (var invoice in server.CreateClient().ListInvoicesAsync(new InvoiceListOptions { Customer = "cus_123" }))
            {
                seen.Add(invoice.Id);
            }
        });

        Assert.Equal(["in_1"], seen);
        Assert.Equal(2, server.Requests.Count);
    }
}
