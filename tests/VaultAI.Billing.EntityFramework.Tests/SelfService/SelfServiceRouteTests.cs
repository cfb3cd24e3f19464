using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Stripe;
using VaultAI.Billing.Organizations;

namespace VaultAI.Billing.EntityFramework.Tests.SelfService;

/// <summary>The self-service routes on PostgreSQL and the emulator, called with the organization's own token.</summary>
public sealed class SelfServiceRouteTests
{
    private const string ReturnBody = """{"return_url":"https://app.example.com/billing"}""";

    public static TheoryData<string, string, string?> Routes => new()
    {
        { "GET", "subscription", null },
        { "POST", "checkout", Checkout("pro") },
        { "POST", "portal", ReturnBody },
        { "GET", "invoices", null },
        { "GET", "payment-methods", null },
        { "GET", "credits", null },
    };

    public static TheoryData<string, string> BadCheckouts => new()
    {
        { """{"billing_interval":"monthly","success_url":"https://app.example.com/ok","cancel_url":"https://app.example.com/no"}""", "plan_type" },
        { Checkout("gold"), "plan_type" },
        { Checkout("pro", interval: "weekly"), "billing_interval" },
        { Checkout("basic", interval: "yearly"), "billing_interval" },
        { Checkout("pro", success: "not a url"), "success_url" },
        { Checkout("pro", success: "https://evil.example/phish"), "success_url" },
        { Checkout("pro", cancel: "https://app.example.com.evil.example/"), "cancel_url" },
        { Checkout("pro", cancel: "javascript:alert(1)"), "cancel_url" },
        { "[1,2]", "body" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Route_AnotherOrganizationsToken_Is403AndWritesNothing(string method, string route, string? body)
    {
        await using var rig = await SelfServiceRig.StartAsync();
        var otherToken = await InstanceCalls.RegisterAsync(rig.Host.Client, Guid.NewGuid(), "Other Corp");
        var tables = await rig.BillingTablesAsync();
        var writes = rig.StripeWrites();

        using var response = await rig.CallAsync(new HttpMethod(method), route, body, token: otherToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = await InstanceCalls.ReadJsonAsync(response);
        Assert.Equal("forbidden_organization", problem.GetProperty("code").GetString());
        Assert.Equal(tables, await rig.BillingTablesAsync());
        Assert.Equal(writes, rig.StripeWrites());
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Route_PathIdNotAUuid_Is400NamingOrganizationId(string method, string route, string? body)
    {
        await using var rig = await SelfServiceRig.StartAsync();
        var tables = await rig.BillingTablesAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), $"/api/organizations/not-a-uuid/{route}");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", rig.Token);
        request.Content = body is null ? null : InstanceCalls.Json(body);

        using var response = await rig.Host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("organization_id", (await InstanceCalls.ReadJsonAsync(response)).GetProperty("field").GetString());
        Assert.Equal(tables, await rig.BillingTablesAsync());
    }

    [Fact]
    public async Task Subscription_LinkedOrganization_ShowsPlanPeriodSeatsNextInvoiceAndUsage()
    {
        await using var rig = await SelfServiceRig.StartAsync();

        using var response = await rig.CallAsync(HttpMethod.Get, "subscription");
        var body = await rig.OkJsonAsync(response);

        Assert.Equal("basic", body.GetProperty("plan_type").GetString());
        Assert.Equal("Basic", body.GetProperty("plan_name").GetString());
        Assert.Equal("monthly", body.GetProperty("billing_interval").GetString());
        Assert.Equal(OrganizationStatus.Active, body.GetProperty("status").GetString());
        Assert.Equal(3, body.GetProperty("seats").GetInt64());
        Assert.False(body.GetProperty("cancel_at_period_end").GetBoolean());
        Assert.Equal(SelfServiceRig.Start, body.GetProperty("current_period_start").GetDateTimeOffset());
        Assert.Equal(SelfServiceRig.Start.AddMonths(1), body.GetProperty("current_period_end").GetDateTimeOffset());
        var next = body.GetProperty("next_invoice");
        Assert.Equal(6000, next.GetProperty("amount_due").GetInt64()); // 3 seats at 20 EUR
        Assert.Equal("eur", next.GetProperty("currency").GetString());
        var activeUsers = body.GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("metric").GetString() == "active_users");
        Assert.Equal(0m, activeUsers.GetProperty("current").GetDecimal());
        Assert.Equal(JsonValueKind.Null, activeUsers.GetProperty("limit").ValueKind);
    }

    [Fact]
    public async Task Subscription_PendingOrganization_HasNoPlanAndNoNextInvoice()
    {
        await using var rig = await SelfServiceRig.StartAsync(link: false);

        var body = await rig.OkJsonAsync(await rig.CallAsync(HttpMethod.Get, "subscription"));

        Assert.Equal(OrganizationStatus.Pending, body.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("plan_type").ValueKind);
        Assert.Equal(JsonValueKind.Null, body.GetProperty("next_invoice").ValueKind);
        Assert.DoesNotContain(rig.Stripe.Requests, r => r.Path.StartsWith("/v1/invoices", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Checkout_PendingOrganization_GivesACheckoutWithThePlansTrialThatLinksWhenCompleted()
    {
        await using var rig = await SelfServiceRig.StartAsync(link: false);

        var body = await rig.OkJsonAsync(await rig.CallAsync(HttpMethod.Post, "checkout", Checkout("basic")));

        Assert.False(body.GetProperty("changed_in_place").GetBoolean());
        Assert.StartsWith(rig.Stripe.BaseAddress.ToString(), body.GetProperty("url").GetString(), StringComparison.Ordinal);
        var sessionId = body.GetProperty("session_id").GetString()!;
        var created = rig.Stripe.Requests.Single(r => r.Method == "POST" && r.Path == "/v1/checkout/sessions");
        Assert.Equal("14", created.Form["subscription_data[trial_period_days]"]);
        Assert.Equal(rig.OrganizationId.ToString(), created.Form["client_reference_id"]);
        Assert.Equal("https://app.example.com/billing/ok", created.Form["success_url"]);

        await rig.Stripe.CompleteCheckoutAsync(sessionId);
        await rig.Stripe.Deliveries.FlushAsync();

        var organization = await rig.OrganizationAsync();
        Assert.Equal(OrganizationStatus.Trial, organization.Status);
        Assert.Equal("basic", organization.PlanKey);
        Assert.Equal(SelfServiceRig.Start.AddDays(14), organization.TrialEnd);
    }

    [Fact]
    public async Task Checkout_CardOnFile_ChangesThePlanInPlaceAndSaysSo()
    {
        await using var rig = await SelfServiceRig.StartAsync();
        await rig.GiveCardAsync();

        var body = await rig.OkJsonAsync(await rig.CallAsync(HttpMethod.Post, "checkout", Checkout("pro"), idempotencyKey: "upgrade-1"));

        Assert.True(body.GetProperty("changed_in_place").GetBoolean());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("url").ValueKind);
        Assert.Equal("pro", body.GetProperty("plan_type").GetString());
        var organization = await rig.OrganizationAsync();
        Assert.Equal("pro", organization.PlanKey);
        var subscription = await rig.Client.V1.Subscriptions.GetAsync(organization.StripeSubscriptionId);
        Assert.Equal(rig.ProPrice, subscription.Items.Data.Single().Price.Id);
        Assert.DoesNotContain(rig.Stripe.Requests, r => r.Path.StartsWith("/v1/checkout", StringComparison.Ordinal));
        await using var db = rig.Host.CreateDbContext();
        Assert.Equal("instance", (await db.BillingEvents.SingleAsync(e => e.Type == "plan_changed")).Actor);
    }

    [Fact]
    public async Task Checkout_NoCardOnARunningSubscription_GivesACheckoutWithoutTrialWhoseSubscriptionReplacesTheOldOne()
    {
        await using var rig = await SelfServiceRig.StartAsync();
        var subscriptionId = (await rig.OrganizationAsync()).StripeSubscriptionId!;

        var body = await rig.OkJsonAsync(await rig.CallAsync(HttpMethod.Post, "checkout", Checkout("pro")));

        Assert.False(body.GetProperty("changed_in_place").GetBoolean());
        Assert.NotNull(body.GetProperty("url").GetString());
        var created = rig.Stripe.Requests.Single(r => r.Method == "POST" && r.Path == "/v1/checkout/sessions");
        Assert.False(created.Form.ContainsKey("subscription_data[trial_period_days]"));
        Assert.Equal(subscriptionId, created.Form["subscription_data[metadata][replaces_subscription]"]);
        Assert.Equal((await rig.OrganizationAsync()).StripeCustomerId, created.Form["customer"]);
        Assert.Equal("basic", (await rig.OrganizationAsync()).PlanKey);

        // Paid: the organization moves to the new subscription and the old one ends, so only one is billed.
        var replacement = await rig.Stripe.CompleteCheckoutAsync(body.GetProperty("session_id").GetString()!);
        await rig.Stripe.Deliveries.FlushAsync();

        var organization = await rig.OrganizationAsync();
        Assert.Equal(replacement, organization.StripeSubscriptionId);
        Assert.Equal("pro", organization.PlanKey);
        Assert.Equal(OrganizationStatus.Active, organization.Status);
        Assert.Equal("canceled", (await rig.Client.V1.Subscriptions.GetAsync(subscriptionId)).Status);
        Assert.Equal([replacement], rig.Stripe.State.Subscriptions.Where(s => s.Status != "canceled").Select(s => s.Id));
    }

    [Fact]
    public async Task Checkout_CanceledOrganization_GivesACheckoutWithoutTrialThatRelinksWhenCompleted()
    {
        await using var rig = await SelfServiceRig.StartAsync();
        using (var cancel = await rig.Host.Admin.PostAsync($"/api/admin/organizations/{rig.OrganizationId}/cancel", InstanceCalls.Json("{}")))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }

        await rig.Stripe.Deliveries.FlushAsync();
        Assert.Equal(OrganizationStatus.Canceled, (await rig.OrganizationAsync()).Status);

        var body = await rig.OkJsonAsync(await rig.CallAsync(HttpMethod.Post, "checkout", Checkout("basic")));
        var created = rig.Stripe.Requests.Single(r => r.Method == "POST" && r.Path == "/v1/checkout/sessions");
        Assert.False(created.Form.ContainsKey("subscription_data[trial_period_days]"));
        var replacement = await rig.Stripe.CompleteCheckoutAsync(body.GetProperty("session_id").GetString()!);
        await rig.Stripe.Deliveries.FlushAsync();

        var organization = await rig.OrganizationAsync();
        Assert.Equal(replacement, organization.StripeSubscriptionId);
        Assert.Equal(OrganizationStatus.Active, organization.Status);
        Assert.Equal("basic", organization.PlanKey);
    }

    [Theory]
    [MemberData(nameof(BadCheckouts))]
    public async Task Checkout_BadInput_Is400NamingTheFieldAndWritesNothing(string body, string field)
    {
        await using var rig = await SelfServiceRig.StartAsync();
        await rig.GiveCardAsync(); // skipping validation would change the plan in place
        var tables = await rig.BillingTablesAsync();
        var writes = rig.StripeWrites();

        using var response = await rig.CallAsync(HttpMethod.Post, "checkout", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(field, (await InstanceCalls.ReadJsonAsync(response)).GetProperty("field").GetString());
        Assert.Equal(tables, await rig.BillingTablesAsync());
        Assert.Equal(writes, rig.StripeWrites());
    }

    [Fact]
    public async Task Checkout_RedirectOutsideAllowedOrigins_IsRedirectNotAllowed()
    {
        await using var rig = await SelfServiceRig.StartAsync(link: false);
        var writes = rig.StripeWrites();

        using var response = await rig.CallAsync(HttpMethod.Post, "checkout", Checkout("basic", success: "https://evil.example/billing"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await InstanceCalls.ReadJsonAsync(response);
        Assert.Equal("success_url", problem.GetProperty("field").GetString());
        Assert.Equal("redirect_not_allowed", problem.GetProperty("code").GetString());
        Assert.Equal(writes, rig.StripeWrites());
    }

    [Fact]
    public async Task Portal_LinkedOrganization_GivesAPortalUrlReturningToTheAllowedUrl()
    {
        await using var rig = await SelfServiceRig.StartAsync();

        var body = await rig.OkJsonAsync(await rig.CallAsync(HttpMethod.Post, "portal", ReturnBody));

        Assert.StartsWith(new Uri(rig.Stripe.BaseAddress, "portal/").ToString(), body.GetProperty("url").GetString(), StringComparison.Ordinal);
        var created = rig.Stripe.Requests.Single(r => r.Method == "POST" && r.Path == "/v1/billing_portal/sessions");
        Assert.Equal("https://app.example.com/billing", created.Form["return_url"]);
        Assert.Equal((await rig.OrganizationAsync()).StripeCustomerId, created.Form["customer"]);
    }

    [Theory]
    [InlineData("""{"return_url":"https://evil.example/billing"}""", "return_url")]
    [InlineData("""{"return_url":"http://app.example.com/billing"}""", "return_url")]
    [InlineData("""{"return_url":"/billing"}""", "return_url")]
    [InlineData("""{}""", "return_url")]
    public async Task Portal_BadOrDisallowedReturnUrl_Is400AndCallsNoStripe(string body, string field)
    {
        await using var rig = await SelfServiceRig.StartAsync();
        var tables = await rig.BillingTablesAsync();
        var writes = rig.StripeWrites();

        using var response = await rig.CallAsync(HttpMethod.Post, "portal", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (await InstanceCalls.ReadJsonAsync(response)).GetProperty("field").GetString());
        Assert.Equal(tables, await rig.BillingTablesAsync());
        Assert.Equal(writes, rig.StripeWrites());
    }

    [Fact]
    public async Task Portal_PendingOrganization_Is409NotLinked()
    {
        await using var rig = await SelfServiceRig.StartAsync(link: false);
        var writes = rig.StripeWrites();

        using var response = await rig.CallAsync(HttpMethod.Post, "portal", ReturnBody);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("not_linked", (await InstanceCalls.ReadJsonAsync(response)).GetProperty("code").GetString());
        Assert.Equal(writes, rig.StripeWrites());
    }

    [Fact]
    public async Task Invoices_ArePagedNewestFirstWithHostedAndPdfUrls()
    {
        await using var rig = await SelfServiceRig.StartAsync();
        await rig.Stripe.AdvanceTimeAsync(TimeSpan.FromDays(31)); // the renewal invoice

        var first = await rig.OkJsonAsync(await rig.CallAsync(HttpMethod.Get, "invoices?limit=1"));
        var newest = first.GetProperty("invoices").EnumerateArray().Single();
        Assert.True(first.GetProperty("has_more").GetBoolean());
        var second = await rig.OkJsonAsync(await rig.CallAsync(HttpMethod.Get, "invoices?limit=1&starting_after=" + newest.GetProperty("id").GetString()));
        var oldest = second.GetProperty("invoices").EnumerateArray().Single();
        Assert.False(second.GetProperty("has_more").GetBoolean());

        Assert.Equal(SelfServiceRig.Start.AddMonths(1), newest.GetProperty("period_end").GetDateTimeOffset()); // the renewal
        Assert.NotEqual(newest.GetProperty("id").GetString(), oldest.GetProperty("id").GetString());
        Assert.Equal(6000, newest.GetProperty("total").GetInt64());
        Assert.Equal(6000, newest.GetProperty("amount_due").GetInt64());
        Assert.Equal("eur", newest.GetProperty("currency").GetString());
        Assert.False(string.IsNullOrEmpty(newest.GetProperty("number").GetString()));
        Assert.StartsWith(rig.Stripe.BaseAddress.ToString(), newest.GetProperty("hosted_invoice_url").GetString(), StringComparison.Ordinal);
        using var http = new HttpClient();
        var pdf = await http.GetByteArrayAsync(newest.GetProperty("invoice_pdf").GetString());
        Assert.Equal("%PDF-"u8.ToArray(), pdf[..5]);
    }

    [Theory]
    [InlineData("invoices?limit=0", "limit")]
    [InlineData("invoices?limit=101", "limit")]
    [InlineData("invoices?limit=ten", "limit")]
    [InlineData("invoices?starting_after=cus_123", "starting_after")]
    public async Task Invoices_BadQuery_Is400NamingTheField(string route, string field)
    {
        await using var rig = await SelfServiceRig.StartAsync();
        var before = rig.Stripe.Requests.Count;

        using var response = await rig.CallAsync(HttpMethod.Get, route);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (await InstanceCalls.ReadJsonAsync(response)).GetProperty("field").GetString());
        Assert.Equal(before, rig.Stripe.Requests.Count);
    }

    [Fact]
    public async Task PaymentMethods_ListsTheCardOnFileAsDefault()
    {
        await using var rig = await SelfServiceRig.StartAsync();
        var none = await rig.OkJsonAsync(await rig.CallAsync(HttpMethod.Get, "payment-methods"));
        Assert.Empty(none.GetProperty("payment_methods").EnumerateArray());
        await rig.GiveCardAsync();

        var body = await rig.OkJsonAsync(await rig.CallAsync(HttpMethod.Get, "payment-methods"));

        var card = body.GetProperty("payment_methods").EnumerateArray().Single();
        Assert.Equal("visa", card.GetProperty("brand").GetString());
        Assert.Equal("4242", card.GetProperty("last4").GetString());
        Assert.Equal(12, card.GetProperty("exp_month").GetInt32());
        Assert.True(card.GetProperty("exp_year").GetInt32() >= SelfServiceRig.Start.Year);
        Assert.True(card.GetProperty("is_default").GetBoolean());
    }

    [Fact]
    public async Task PaymentMethodsAndCredits_PendingOrganization_AreEmpty()
    {
        await using var rig = await SelfServiceRig.StartAsync(link: false);

        var methods = await rig.OkJsonAsync(await rig.CallAsync(HttpMethod.Get, "payment-methods"));
        var credits = await rig.OkJsonAsync(await rig.CallAsync(HttpMethod.Get, "credits"));

        Assert.Empty(methods.GetProperty("payment_methods").EnumerateArray());
        Assert.Equal(0, credits.GetProperty("balance").GetInt64());
        Assert.Empty(credits.GetProperty("history").EnumerateArray());
    }

    internal static string Checkout(string plan, string interval = "monthly", string success = "https://app.example.com/billing/ok", string cancel = "https://app.example.com/billing") =>
        JsonSerializer.Serialize(new Dictionary<string, string> { ["plan_type"] = plan, ["billing_interval"] = interval, ["success_url"] = success, ["cancel_url"] = cancel });
}
