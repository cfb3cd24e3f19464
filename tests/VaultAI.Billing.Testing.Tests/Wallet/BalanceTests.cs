using System.Net;
using VaultAI.Billing.Testing.Tests.Support;

namespace VaultAI.Billing.Testing.Tests.Wallet;

public class BalanceTests
{
    [Fact]
    public async Task BalanceTransaction_MovesCustomerBalance_AndIsListed()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        var customer = await http.PostAsync("/v1/customers", "email=a%40example.com");
        var id = customer.Str("id");

        var credit = await http.PostAsync($"/v1/customers/{id}/balance_transactions", "amount=-500&currency=usd&description=goodwill");
        Assert.Equal(HttpStatusCode.OK, credit.Status);
        Assert.Equal("adjustment", credit.Str("type"));

        var after = await http.GetAsync($"/v1/customers/{id}");
        Assert.Equal(-500, after.Json["balance"]!.GetValue<long>());
        var list = await http.GetAsync($"/v1/customers/{id}/balance_transactions");
        Assert.Equal(-500, list.Json["data"]![0]!["ending_balance"]!.GetValue<long>());
    }
}
