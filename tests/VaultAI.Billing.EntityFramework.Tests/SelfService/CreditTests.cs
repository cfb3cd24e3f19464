using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Stripe;

namespace VaultAI.Billing.EntityFramework.Tests.SelfService;

/// <summary>Credits an admin grants: Stripe customer balance transactions that the next invoice consumes.</summary>
public sealed class CreditTests
{
    private const string Grant = """{"amount":1500,"currency":"eur","reason":"Outage on 2026-05-30"}""";

    [Fact]
    public async Task GrantCredit_LowersTheNextInvoicesAmountDueByExactlyThatAmount()
    {
        await using var rig = await SelfServiceRig.StartAsync();
        var before = await rig.OkJsonAsync(await rig.CallAsync(HttpMethod.Get, "subscription"));
        Assert.Equal(6000, before.GetProperty("next_invoice").GetProperty("amount_due").GetInt64());

        using (var granted = await GrantAsync(rig, Grant, "credit-1"))
        {
            Assert.Equal(1500, (await rig.OkJsonAsync(granted)).GetProperty("amount").GetInt64());
        }

        var preview = await rig.OkJsonAsync(await rig.CallAsync(HttpMethod.Get, "subscription"));
        Assert.Equal(4500, preview.GetProperty("next_invoice").GetProperty("amount_due").GetInt64());

        await rig.Stripe.AdvanceTimeAsync(TimeSpan.FromDays(31));

        var customerId = (await rig.OrganizationAsync()).StripeCustomerId;
        var invoices = await rig.Client.V1.Invoices.ListAsync(new InvoiceListOptions { Customer = customerId });
        var renewal = invoices.Data.Single(i => i.BillingReason == "subscription_cycle");
        var first = invoices.Data.Single(i => i.Id != renewal.Id);
        Assert.Equal(6000, renewal.Total);
        Assert.Equal(renewal.Total - 1500, renewal.AmountDue);
        Assert.Equal(first.Total, first.AmountDue); // granted after it: untouched
        var credits = await rig.OkJsonAsync(await rig.CallAsync(HttpMethod.Get, "credits"));
        Assert.Equal(0, credits.GetProperty("balance").GetInt64());
        Assert.Equal([-1500, 1500], credits.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("amount").GetInt64()));
    }

    [Fact]
    public async Task GrantCredit_SameIdempotencyKeyTwice_GrantsOnceAndLogsOnceWithTheAdmin()
    {
        await using var rig = await SelfServiceRig.StartAsync();

        var first = await rig.OkJsonAsync(await GrantAsync(rig, Grant, "credit-1"));
        var second = await rig.OkJsonAsync(await GrantAsync(rig, Grant, "credit-1"));

        Assert.Equal(first.GetProperty("id").GetString(), second.GetProperty("id").GetString());
        var customerId = (await rig.OrganizationAsync()).StripeCustomerId!;
        var transactions = await rig.Client.V1.Customers.BalanceTransactions.ListAsync(customerId);
        Assert.Equal(-1500, transactions.Data.Single().Amount); // credit is negative on Stripe's side
        Assert.Equal(-1500, (await rig.Client.V1.Customers.GetAsync(customerId)).Balance);
        await using var db = rig.Host.CreateDbContext();
        var logged = await db.BillingEvents.SingleAsync(e => e.Type == "credit_adjusted");
        Assert.Equal("admin:test-admin", logged.Actor);
        Assert.Equal(rig.OrganizationId, logged.OrganizationId);
        using var data = JsonDocument.Parse(logged.Data);
        Assert.Equal(1500, data.RootElement.GetProperty("amount").GetInt64());
        Assert.Equal("Outage on 2026-05-30", data.RootElement.GetProperty("reason").GetString());

        var credits = await rig.OkJsonAsync(await rig.CallAsync(HttpMethod.Get, "credits"));
        Assert.Equal(1500, credits.GetProperty("balance").GetInt64());
        Assert.Equal("eur", credits.GetProperty("currency").GetString());
        var entry = credits.GetProperty("history").EnumerateArray().Single();
        Assert.Equal(1500, entry.GetProperty("amount").GetInt64());
        Assert.Equal("Outage on 2026-05-30", entry.GetProperty("description").GetString());
    }

    [Fact]
    public async Task GrantCredit_NegativeAmount_RemovesCredit()
    {
        await using var rig = await SelfServiceRig.StartAsync();
        (await GrantAsync(rig, Grant, "grant")).Dispose();

        (await GrantAsync(rig, """{"amount":-500,"currency":"eur","reason":"Granted too much"}""", "remove")).Dispose();

        var credits = await rig.OkJsonAsync(await rig.CallAsync(HttpMethod.Get, "credits"));
        Assert.Equal(1000, credits.GetProperty("balance").GetInt64());
    }

    [Fact]
    public async Task GrantCredit_SameKeyDifferentAmount_Is409AndChangesNothing()
    {
        await using var rig = await SelfServiceRig.StartAsync();
        (await GrantAsync(rig, Grant, "credit-1")).Dispose();

        using var response = await GrantAsync(rig, """{"amount":9999,"currency":"eur","reason":"Outage on 2026-05-30"}""", "credit-1");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("idempotency_conflict", (await InstanceCalls.ReadJsonAsync(response)).GetProperty("code").GetString());
        var credits = await rig.OkJsonAsync(await rig.CallAsync(HttpMethod.Get, "credits"));
        Assert.Equal(1500, credits.GetProperty("balance").GetInt64());
    }

    [Theory]
    [InlineData("""{"amount":0,"currency":"eur","reason":"x"}""", "amount")]
    [InlineData("""{"amount":"15","currency":"eur","reason":"x"}""", "amount")]
    [InlineData("""{"amount":1.5,"currency":"eur","reason":"x"}""", "amount")]
    [InlineData("""{"amount":100000001,"currency":"eur","reason":"x"}""", "amount")]
    [InlineData("""{"currency":"eur","reason":"x"}""", "amount")]
    [InlineData("""{"amount":15,"currency":"euro","reason":"x"}""", "currency")]
    [InlineData("""{"amount":15,"currency":"e1r","reason":"x"}""", "currency")]
    [InlineData("""{"amount":15,"reason":"x"}""", "currency")]
    [InlineData("""{"amount":15,"currency":"eur","reason":"  "}""", "reason")]
    [InlineData("""{"amount":15,"currency":"eur"}""", "reason")]
    public async Task GrantCredit_BadInput_Is400NamingTheFieldAndWritesNothing(string body, string field)
    {
        await using var rig = await SelfServiceRig.StartAsync();
        var tables = await rig.BillingTablesAsync();
        var writes = rig.StripeWrites();

        using var response = await GrantAsync(rig, body, null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (await InstanceCalls.ReadJsonAsync(response)).GetProperty("field").GetString());
        Assert.Equal(tables, await rig.BillingTablesAsync());
        Assert.Equal(writes, rig.StripeWrites());
    }

    [Fact]
    public async Task GrantCredit_PendingOrganization_Is409NotLinked()
    {
        await using var rig = await SelfServiceRig.StartAsync(link: false);
        var writes = rig.StripeWrites();

        using var response = await GrantAsync(rig, Grant, null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("not_linked", (await InstanceCalls.ReadJsonAsync(response)).GetProperty("code").GetString());
        Assert.Equal(writes, rig.StripeWrites());
    }

    [Fact]
    public async Task GrantCredit_WithTheOrganizationsOwnToken_IsNotAllowed()
    {
        await using var rig = await SelfServiceRig.StartAsync();

        using var response = await InstanceCalls.SendAsync(rig.Host.Client, HttpMethod.Post, $"/api/admin/organizations/{rig.OrganizationId}/credits", rig.Token, Grant);

        Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, response.StatusCode.ToString());
        Assert.DoesNotContain(rig.Stripe.Requests, r => r.Path.EndsWith("/balance_transactions", StringComparison.Ordinal));
    }

    private static Task<HttpResponseMessage> GrantAsync(SelfServiceRig rig, string body, string? idempotencyKey) =>
        InstanceCalls.SendAsync(rig.Host.Admin, HttpMethod.Post, $"/api/admin/organizations/{rig.OrganizationId}/credits", null, body, idempotencyKey);
}
