using System.Net;
using System.Text.Json;
using BillingHost.Admin;
using BillingHost.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Testing;

namespace BillingHost.IntegrationTests;

public class DashboardActionTests
{
    private static Dictionary<string, string> LinkFields(string email = "billing@acme.example", string plan = "self-hosted") => new()
    {
        ["Input.AdminEmail"] = email,
        ["Input.DeploymentType"] = "on-premise",
        ["Input.PlanKey"] = plan,
        ["Input.BillingInterval"] = "monthly",
        ["Input.TrialDays"] = "4",
    };

    private static async Task<(Guid Id, string Token)> RegisterWithReportAsync(HostFactory factory, string name = "Acme Corp", long users = 45)
    {
        using var client = factory.CreateClient();
        var id = Guid.NewGuid();
        var token = await Instances.RegisterAsync(client, id, name);
        using var report = await Instances.ReportAsync(client, token, id, users, DateTimeOffset.UtcNow.AddMinutes(-1), name);
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        return (id, token);
    }

    private static async Task<Organization> ReadAsync(HostFactory factory, Guid id)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<BillingAdministration>().GetOrganizationAsync(id))!;
    }

    [Fact]
    public async Task Dashboard_PendingOrganization_IsListedWithItsUsersAndLinkButton()
    {
        await using var factory = new HostFactory();
        var (id, _) = await RegisterWithReportAsync(factory, "Beta SARL", 120);
        using var admin = await Html.SignInAsync(factory);

        var html = await admin.GetStringAsync("/");

        var pending = html[html.IndexOf("id=\"pending\"", StringComparison.Ordinal)..html.IndexOf("id=\"linked\"", StringComparison.Ordinal)];
        Assert.Contains("Beta SARL", pending, StringComparison.Ordinal);
        Assert.Contains("120", pending, StringComparison.Ordinal);
        Assert.Contains($"/organizations/{id}/link", pending, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinkForm_Submitted_LinksInStripeWithTrialAndRedirects_AndASecondSubmitSaysAlreadyLinked()
    {
        await using var factory = new HostFactory();
        var (id, _) = await RegisterWithReportAsync(factory);
        using var admin = await Html.SignInAsync(factory);
        var formPage = await admin.GetStringAsync($"/organizations/{id}/link");
        var token = Html.AntiforgeryToken(formPage);
        Assert.Contains("value=\"4\"", formPage, StringComparison.Ordinal); // trial days default

        using var first = await admin.PostAsync($"/organizations/{id}/link", new FormUrlEncodedContent(new Dictionary<string, string>(LinkFields()) { ["__RequestVerificationToken"] = token }));
        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Equal($"/organizations/{id}", first.Headers.Location!.OriginalString);

        // The same form posted again (a double click): no second customer, a friendly answer.
        using var second = await admin.PostAsync($"/organizations/{id}/link", new FormUrlEncodedContent(new Dictionary<string, string>(LinkFields()) { ["__RequestVerificationToken"] = token }));
        Assert.Equal(HttpStatusCode.Redirect, second.StatusCode);
        var page = await admin.GetStringAsync(second.Headers.Location!.OriginalString);
        Assert.Contains("is already linked", page, StringComparison.Ordinal);

        var organization = await ReadAsync(factory, id);
        Assert.Equal(OrganizationStatus.Trial, organization.Status);
        Assert.Equal("self-hosted", organization.PlanKey);
        Assert.Single(factory.Stripe.State.Customers);
        var subscription = Assert.Single(factory.Stripe.State.Subscriptions);
        Assert.Equal("trialing", subscription.Status);
        var dashboard = await admin.GetStringAsync("/");
        var linked = dashboard[dashboard.IndexOf("id=\"linked\"", StringComparison.Ordinal)..];
        Assert.Contains("Acme Corp", linked, StringComparison.Ordinal);
        Assert.Contains(">trial<", linked, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinkForm_InvalidEmail_ShowsTheErrorNextToTheField()
    {
        await using var factory = new HostFactory();
        var (id, _) = await RegisterWithReportAsync(factory);
        using var admin = await Html.SignInAsync(factory);

        using var response = await Html.SubmitAsync(admin, $"/organizations/{id}/link", $"/organizations/{id}/link", LinkFields(email: "not-an-email"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Matches("field-error[^>]*data-valmsg-for=\"Input.AdminEmail\"[^>]*>Enter a valid e-mail address.<", html);
        Assert.Empty(factory.Stripe.State.Customers);
    }

    [Theory]
    [InlineData("a@b")]
    [InlineData("Ann <ann@example.com>")]
    public async Task LinkForm_EmailTheApiRefuses_IsRefusedByTheFormToo(string email)
    {
        await using var factory = new HostFactory();
        var (id, _) = await RegisterWithReportAsync(factory);
        using var admin = await Html.SignInAsync(factory);

        using var response = await Html.SubmitAsync(admin, $"/organizations/{id}/link", $"/organizations/{id}/link", LinkFields(email: email));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Matches("field-error[^>]*data-valmsg-for=\"Input.AdminEmail\"[^>]*>[^<]*e-mail address", html);
        Assert.Empty(factory.Stripe.State.Customers);
    }

    [Fact]
    public async Task LinkForm_UnknownPlan_ShowsTheLibraryErrorNextToThePlan()
    {
        await using var factory = new HostFactory();
        var (id, _) = await RegisterWithReportAsync(factory);
        using var admin = await Html.SignInAsync(factory);

        using var response = await Html.SubmitAsync(admin, $"/organizations/{id}/link", $"/organizations/{id}/link", LinkFields(plan: "enterprise"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Matches("data-valmsg-for=\"Input.PlanKey\"[^>]*>[^<]*must be one of: managed-cloud, self-hosted", html);
        Assert.Equal(OrganizationStatus.Pending, (await ReadAsync(factory, id)).Status);
    }

    [Fact]
    public async Task OrganizationActions_SyncCancelAtPeriodEndAndCancelNow_UpdateTheSubscription()
    {
        await using var factory = new HostFactory();
        var (id, _) = await RegisterWithReportAsync(factory);
        using var admin = await Html.SignInAsync(factory);
        using (var link = await Html.SubmitAsync(admin, $"/organizations/{id}/link", $"/organizations/{id}/link", LinkFields()))
        {
            Assert.Equal(HttpStatusCode.Redirect, link.StatusCode);
        }

        var page = $"/organizations/{id}";
        using (var sync = await Html.SubmitAsync(admin, page, $"{page}?handler=Sync"))
        {
            Assert.Equal(HttpStatusCode.Redirect, sync.StatusCode);
            Assert.Contains("Synchronised from Stripe.", await admin.GetStringAsync(page), StringComparison.Ordinal);
        }

        using (var atPeriodEnd = await Html.SubmitAsync(admin, page, $"{page}?handler=Cancel&atPeriodEnd=true"))
        {
            Assert.Equal(HttpStatusCode.Redirect, atPeriodEnd.StatusCode);
        }

        Assert.True((await ReadAsync(factory, id)).CancelAtPeriodEnd);
        Assert.True(Assert.Single(factory.Stripe.State.Subscriptions).CancelAtPeriodEnd);

        using (var unconfirmed = await Html.SubmitAsync(admin, page, $"{page}?handler=Cancel&atPeriodEnd=false"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unconfirmed.StatusCode);
            Assert.Contains("Tick the confirmation box", await unconfirmed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.NotEqual(OrganizationStatus.Canceled, (await ReadAsync(factory, id)).Status);
        Assert.NotEqual("canceled", Assert.Single(factory.Stripe.State.Subscriptions).Status);

        using (var now = await Html.SubmitAsync(admin, page, $"{page}?handler=Cancel&atPeriodEnd=false", new Dictionary<string, string> { ["confirm"] = "true" }))
        {
            Assert.Equal(HttpStatusCode.Redirect, now.StatusCode);
        }

        Assert.Equal(OrganizationStatus.Canceled, (await ReadAsync(factory, id)).Status);
        Assert.Equal("canceled", Assert.Single(factory.Stripe.State.Subscriptions).Status);
    }

    [Fact]
    public async Task RotateToken_ShowsTheNewTokenOnce_AndOnlyTheNewTokenReports()
    {
        await using var factory = new HostFactory();
        var (id, oldToken) = await RegisterWithReportAsync(factory);
        using var admin = await Html.SignInAsync(factory);

        using (var unconfirmed = await Html.SubmitAsync(admin, $"/organizations/{id}", $"/organizations/{id}?handler=RotateToken"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unconfirmed.StatusCode);
            Assert.DoesNotContain("id=\"new-token\"", await unconfirmed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var response = await Html.SubmitAsync(admin, $"/organizations/{id}", $"/organizations/{id}?handler=RotateToken", new Dictionary<string, string> { ["confirm"] = "true" });

        // Post/redirect/get: the token is shown on the GET page the POST redirects to, once.
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"/organizations/{id}", response.Headers.Location?.OriginalString);
        var html = await admin.GetStringAsync($"/organizations/{id}");
        var start = html.IndexOf("id=\"new-token\">", StringComparison.Ordinal) + "id=\"new-token\">".Length;
        var newToken = html[start..html.IndexOf('<', start)];
        Assert.NotEqual(oldToken, newToken);
        Assert.DoesNotContain(newToken, await admin.GetStringAsync($"/organizations/{id}"), StringComparison.Ordinal);
        using var client = factory.CreateClient();
        using var withOld = await Instances.ReportAsync(client, oldToken, id, 46, DateTimeOffset.UtcNow);
        using var withNew = await Instances.ReportAsync(client, newToken, id, 47, DateTimeOffset.UtcNow);
        Assert.Equal(HttpStatusCode.Unauthorized, withOld.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withNew.StatusCode);
    }

    [Fact]
    public async Task FailedMeterEvent_IsListedWithItsError_AndTheRetryButtonQueuesItAgain()
    {
        await using var factory = new HostFactory();
        var (id, token) = await RegisterWithReportAsync(factory);
        using var admin = await Html.SignInAsync(factory);
        using (var link = await Html.SubmitAsync(admin, $"/organizations/{id}/link", $"/organizations/{id}/link", LinkFields()))
        {
            Assert.Equal(HttpStatusCode.Redirect, link.StatusCode);
        }

        using (var client = factory.CreateClient())
        {
            // Linked now: this report is billable and queued for Stripe.
            using var report = await Instances.ReportAsync(client, token, id, 50, DateTimeOffset.UtcNow);
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        }

        factory.Stripe.InjectFault("/v1/billing/meter_events", StripeFault.Status(400, shouldRetry: false), count: 1);
        Assert.Equal(1, await factory.Services.GetRequiredService<IMeterEventDispatcher>().DispatchOnceAsync());
        var dashboard = await admin.GetStringAsync("/");
        var failedTable = dashboard[dashboard.IndexOf("id=\"failed-meter-events\"", StringComparison.Ordinal)..];
        Assert.Contains(id.ToString(), failedTable, StringComparison.Ordinal);
        Assert.Contains("vaultai_active_users", failedTable, StringComparison.Ordinal);
        var outboxId = System.Text.RegularExpressions.Regex.Match(failedTable, "data-outbox-id=\"([^\"]+)\"").Groups[1].Value;

        using var retry = await Html.SubmitAsync(admin, "/", $"/?handler=RetryMeterEvent&id={outboxId}");

        Assert.Equal(HttpStatusCode.Redirect, retry.StatusCode);
        Assert.Contains("queued again", await admin.GetStringAsync("/"), StringComparison.Ordinal);
        Assert.Equal(1, await factory.Services.GetRequiredService<IMeterEventDispatcher>().DispatchOnceAsync());
        Assert.Single(factory.Stripe.State.MeterEvents);
    }

    [Fact]
    public async Task AdminApi_WithApiKey_LinksRotatesAndRetries()
    {
        var key = AdminCredentials.NewApiKey();
        await using var factory = new HostFactory(new() { ["VaultAI:Host:AdminApiKeyHashes:0"] = AdminCredentials.HashApiKey(key) });
        var (id, _) = await RegisterWithReportAsync(factory);
        using var api = factory.CreateClient();
        api.DefaultRequestHeaders.Add(AdminAuthentication.ApiKeyHeader, key);

        using var link = await api.PostAsync($"/api/admin/organizations/{id}/link", Instances.Json("""{"admin_email":"billing@acme.example","deployment_type":"managed-cloud","plan_type":"managed-cloud","trial_days":4}"""));
        using var again = await api.PostAsync($"/api/admin/organizations/{id}/link", Instances.Json("""{"admin_email":"billing@acme.example","deployment_type":"managed-cloud","plan_type":"managed-cloud","trial_days":4}"""));
        using var rotate = await api.PostAsync($"/api/admin/organizations/{id}/rotate-token", null);
        using var retry = await api.PostAsync("/api/admin/meter-events/retry", null);

        Assert.Equal(HttpStatusCode.OK, link.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        using var conflict = JsonDocument.Parse(await again.Content.ReadAsStringAsync());
        Assert.Equal("already_linked", conflict.RootElement.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, rotate.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(OrganizationStatus.Trial, (await ReadAsync(factory, id)).Status);
    }

    [Fact]
    public async Task Dashboard_ManyOrganizations_PagesAndSearches()
    {
        await using var factory = new HostFactory(new() { ["VaultAI:Host:InstanceRequestsPerMinute"] = "1000", ["VaultAI:Host:UnauthenticatedRequestsPerMinute"] = "1000" });
        using (var client = factory.CreateClient())
        {
            for (var i = 0; i < 30; i++)
            {
                await Instances.RegisterAsync(client, Guid.NewGuid(), $"Org {i:00}", $"org{i:00}.example.com");
            }
        }

        using var admin = await Html.SignInAsync(factory);
        var first = await admin.GetStringAsync("/?pp=1");
        var second = await admin.GetStringAsync("/?pp=2");
        var search = await admin.GetStringAsync("/?q=org17.example");

        Assert.Equal(25, RowsOf(first, "pending"));
        Assert.Equal(5, RowsOf(second, "pending"));
        Assert.Contains("Page 2 of 2", second, StringComparison.Ordinal);
        Assert.Equal(1, RowsOf(search, "pending"));
        Assert.Contains("Org 17", search, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_ActiveAndPastDueOrganizations_ShowMrrEstimateAndPastDueList()
    {
        await using var factory = new HostFactory();
        var (active, _) = await RegisterWithReportAsync(factory, "Active Org", 45);
        var (pastDue, _) = await RegisterWithReportAsync(factory, "Late Org", 10);
        using var admin = await Html.SignInAsync(factory);
        foreach (var id in new[] { active, pastDue })
        {
            using var link = await Html.SubmitAsync(admin, $"/organizations/{id}/link", $"/organizations/{id}/link", LinkFields());
            Assert.Equal(HttpStatusCode.Redirect, link.StatusCode);
        }

        // In Stripe: the 4-day trials end (nothing used yet, nothing to pay), the late customer's card starts failing and
        // its 10 users are metered, so its first renewal invoice is declined and the subscription becomes past due. The
        // in-memory host gets no webhooks: the admin's "Sync from Stripe" brings both states in, as an operator would.
        var lateCustomer = (await ReadAsync(factory, pastDue)).StripeCustomerId!;
        await factory.Stripe.AdvanceTimeAsync(TimeSpan.FromDays(4) + TimeSpan.FromMinutes(1));
        factory.Stripe.SetPaymentOutcome(lateCustomer, PaymentOutcome.Fails);
        var stripe = new Stripe.StripeClient(new Stripe.StripeClientOptions
        {
            ApiKey = factory.Stripe.ApiKey,
            ApiBase = factory.Stripe.BaseAddress.ToString().TrimEnd('/'),
            MeterEventsBase = factory.Stripe.BaseAddress.ToString().TrimEnd('/'),
        });
        await stripe.V1.Billing.MeterEvents.CreateAsync(new Stripe.Billing.MeterEventCreateOptions
        {
            EventName = "vaultai_active_users",
            Identifier = $"late-{pastDue:N}",
            Payload = new Dictionary<string, string> { ["stripe_customer_id"] = lateCustomer, ["value"] = "10" },
            Timestamp = factory.Stripe.Clock.GetUtcNow().UtcDateTime,
        });
        await factory.Stripe.AdvanceTimeAsync(TimeSpan.FromDays(32));
        foreach (var id in new[] { active, pastDue })
        {
            var page = $"/organizations/{id}";
            using var sync = await Html.SubmitAsync(admin, page, $"{page}?handler=Sync");
            Assert.Equal(HttpStatusCode.Redirect, sync.StatusCode);
        }

        Assert.Equal(OrganizationStatus.Active, (await ReadAsync(factory, active)).Status);
        var late = await ReadAsync(factory, pastDue);
        Assert.Equal(OrganizationStatus.PastDue, late.Status);
        Assert.NotNull(late.PastDueSince);

        var html = await admin.GetStringAsync("/");

        var unitAmount = factory.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<VaultAI.Billing.VaultAIBillingOptions>>().Value.Plans["self-hosted"].MonthlyUnitAmount;
        // A past-due subscription is still billed (Stripe retries the invoice) and counts in MRR until it is canceled.
        var expected = ((45 + 10) * unitAmount / 100m).ToString("#,##0.00", System.Globalization.CultureInfo.InvariantCulture) + " EUR";
        Assert.Contains($"id=\"mrr\">{expected}<", html, StringComparison.Ordinal);
        var pastDueTable = html[html.IndexOf("id=\"past-due\"", StringComparison.Ordinal)..html.IndexOf("id=\"failed-meter-events\"", StringComparison.Ordinal)];
        Assert.Contains("Late Org", pastDueTable, StringComparison.Ordinal);
        Assert.DoesNotContain("Active Org", pastDueTable, StringComparison.Ordinal);
    }

    private static int RowsOf(string html, string table)
    {
        var start = html.IndexOf($"id=\"{table}\"", StringComparison.Ordinal);
        var body = html[start..html.IndexOf("</table>", start, StringComparison.Ordinal)];
        return body.Split("data-organization-id=", StringSplitOptions.None).Length - 1;
    }

    [Fact]
    public async Task RotateToken_ReloadOfTheResultPage_DoesNotRotateAgain()
    {
        await using var factory = new HostFactory();
        var (id, _) = await RegisterWithReportAsync(factory);
        using var admin = await Html.SignInAsync(factory);
        using var response = await Html.SubmitAsync(admin, $"/organizations/{id}", $"/organizations/{id}?handler=RotateToken", new Dictionary<string, string> { ["confirm"] = "true" });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var first = await admin.GetStringAsync(response.Headers.Location!.OriginalString);
        var start = first.IndexOf("id=\"new-token\">", StringComparison.Ordinal) + "id=\"new-token\">".Length;
        var token = first[start..first.IndexOf('<', start)];

        // A reload is a GET of the same address: the token that was shown still works, no other was issued.
        await admin.GetStringAsync(response.Headers.Location!.OriginalString);
        await admin.GetStringAsync(response.Headers.Location!.OriginalString);

        using var client = factory.CreateClient();
        using var report = await Instances.ReportAsync(client, token, id, 48, DateTimeOffset.UtcNow);
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
    }
}
