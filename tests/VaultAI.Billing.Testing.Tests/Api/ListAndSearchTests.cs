using System.Net;
using System.Text.Json.Nodes;
using VaultAI.Billing.Testing.Tests.Support;

namespace VaultAI.Billing.Testing.Tests.Api;

public class ListAndSearchTests
{
    [Fact]
    public async Task ListCustomers_PagesWithLimitAndStartingAfter_NewestFirst()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            created.Add(await http.CreateAsync("/v1/customers", $"email=c{i}%40example.com"));
        }

        var page1 = await http.GetAsync("/v1/customers?limit=3&expand[0]=data.default_source");
        var ids1 = Ids(page1.Json);
        var page2 = await http.GetAsync($"/v1/customers?limit=3&starting_after={ids1[^1]}");
        var ids2 = Ids(page2.Json);

        Assert.Equal("list", page1.Str("object"));
        Assert.Equal("/v1/customers", page1.Str("url"));
        Assert.True(page1.Json["has_more"]!.GetValue<bool>());
        Assert.False(page2.Json["has_more"]!.GetValue<bool>());
        Assert.Equal(Enumerable.Reverse(created), ids1.Concat(ids2));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public async Task List_LimitOutOfRange_Returns400(int limit)
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);

        var response = await http.GetAsync($"/v1/customers?limit={limit}");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("limit", response.Error["param"]!.GetValue<string>());
    }

    [Fact]
    public async Task SearchCustomers_ByMetadata_ReturnsMatchesWithNextPage()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        for (var i = 0; i < 3; i++)
        {
            await http.CreateAsync("/v1/customers", $"email=o{i}%40example.com&metadata[organization_id]=org-x");
        }

        await http.CreateAsync("/v1/customers", "email=other%40example.com&metadata[organization_id]=org-y");

        var first = await http.GetAsync("/v1/customers/search?query=" + Uri.EscapeDataString("metadata['organization_id']:'org-x'") + "&limit=2");
        var next = first.Json["next_page"]!.GetValue<string>();
        var second = await http.GetAsync("/v1/customers/search?query=" + Uri.EscapeDataString("metadata['organization_id']:'org-x'") + "&limit=2&page=" + Uri.EscapeDataString(next));

        Assert.Equal("search_result", first.Str("object"));
        Assert.True(first.Json["has_more"]!.GetValue<bool>());
        Assert.Equal(2, Ids(first.Json).Count);
        Assert.Single(Ids(second.Json));
        Assert.False(second.Json["has_more"]!.GetValue<bool>());
        Assert.Null(second.Json["next_page"]);
        Assert.DoesNotContain(Ids(first.Json)[0], Ids(second.Json));
    }

    [Fact]
    public async Task SearchCustomers_ByEmail_FindsTheCustomer()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        var id = await http.CreateAsync("/v1/customers", "email=find%40example.com");
        await http.CreateAsync("/v1/customers", "email=other%40example.com");

        var response = await http.GetAsync("/v1/customers/search?query=" + Uri.EscapeDataString("email:'find@example.com'"));

        Assert.Equal([id], Ids(response.Json));
    }

    [Fact]
    public async Task ListPrices_ByLookupKeys_ReturnsOnlyThosePrices()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        var (_, monthly) = await Catalog.LicensedMonthlyAsync(http, 2000, "pro_monthly");
        var (_, other) = await Catalog.LicensedMonthlyAsync(http, 3000, "team_monthly");
        await Catalog.LicensedMonthlyAsync(http, 4000);

        var indexed = await http.GetAsync("/v1/prices?lookup_keys[0]=pro_monthly&lookup_keys[1]=team_monthly");
        var brackets = await http.GetAsync("/v1/prices?lookup_keys[]=pro_monthly&active=true");

        Assert.Equal(new[] { monthly, other }.Order(), Ids(indexed.Json).Order());
        Assert.Equal([monthly], Ids(brackets.Json));
        Assert.Equal("pro_monthly", brackets.Json["data"]![0]!["lookup_key"]!.GetValue<string>());
        Assert.Equal(2000, brackets.Json["data"]![0]!["unit_amount"]!.GetValue<long>());
    }

    [Fact]
    public async Task CreatePrice_TakenLookupKey_NeedsTransferLookupKey()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        var (product, first) = await Catalog.LicensedMonthlyAsync(http, 2000, "pro_monthly");

        var refused = await http.PostAsync("/v1/prices", $"currency=usd&unit_amount=2500&product={product}&recurring[interval]=month&lookup_key=pro_monthly");
        var moved = await http.PostAsync("/v1/prices", $"currency=usd&unit_amount=2500&product={product}&recurring[interval]=month&lookup_key=pro_monthly&transfer_lookup_key=true");
        var lookup = await http.GetAsync("/v1/prices?lookup_keys[0]=pro_monthly");

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal(HttpStatusCode.OK, moved.Status);
        Assert.Equal([moved.Str("id")], Ids(lookup.Json));
        Assert.NotEqual(first, moved.Str("id"));
    }

    [Fact]
    public async Task UnknownRoute_Returns404()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);

        var response = await http.GetAsync("/v1/nothing_here");

        Assert.Equal(HttpStatusCode.NotFound, response.Status);
        Assert.Contains("Unrecognized request URL", response.Error["message"]!.GetValue<string>());
    }

    private static List<string> Ids(JsonObject list) =>
        list["data"]!.AsArray().Select(x => x!["id"]!.GetValue<string>()).ToList();
}
