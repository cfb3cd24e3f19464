using System.Net;
using BillingHost.IntegrationTests.Support;
using BillingHost.Pages;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing;
using VaultAI.Billing.Entitlements;
using VaultAI.Billing.Events;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Testing;

namespace BillingHost.IntegrationTests;

/// <summary>The dashboard's Stripe test clock panel (embedded mode), driven in headless Chromium.</summary>
[Collection(BrowserCollection.Name)]
public class TestClockBrowserTests(BrowserFixture browsers)
{
    [Fact]
    public async Task TestClockPanel_AdvanceAMonth_EndsTheTrialAddsAnInvoiceAndMovesMrr_AndMakesTheNextPaymentFail()
    {
        await using var dashboard = await DashboardSite.StartAsync(browsers);
        var (factory, browser, site) = (dashboard.Host, dashboard.Browser, dashboard.Address);
        var id = Guid.NewGuid();
        await dashboard.RegisterReportingAsync(id, "Clockwork SA", "clockwork.vaultai.example", 30, DateTimeOffset.UtcNow.AddMinutes(-5));
        await dashboard.SignInAsync();
        await dashboard.LinkAsync(id, "billing@clockwork.example");
        var invoicesBefore = (await browser.FindAllAsync("#invoices tr[data-invoice-id]")).Count;

        await browser.GoAsync(site);
        var row = $"#linked tr[data-organization-id='{id}']";
        Assert.Equal(OrganizationStatus.Trial, await browser.TextAsync($"{row} .status"));
        var mrrBefore = await browser.TextAsync("#mrr");
        var stripeNowBefore = await browser.TextAsync("#stripe-now");

        // A month on the Stripe clock (post/redirect/get): the trial ends, Stripe invoices and the webhooks arrive.
        await browser.SubmitAsync("#advance-month");
        Assert.Equal("/", await browser.WaitForPathAsync("/"));
        Assert.Contains("Stripe clock moved forward one month", await browser.TextAsync(".flash"), StringComparison.Ordinal);
        Assert.NotEqual(stripeNowBefore, await browser.TextAsync("#stripe-now"));
        await WaitForStatusAsync(browser, site, row, OrganizationStatus.Active);
        var mrrAfter = await browser.TextAsync("#mrr");
        Assert.NotEqual(mrrBefore, mrrAfter);
        Assert.NotEqual("—", mrrAfter);

        await browser.GoAsync(new Uri(site, $"/organizations/{id}"));
        Assert.True((await browser.FindAllAsync("#invoices tr[data-invoice-id]")).Count > invoicesBefore, "the trial's end brought an invoice");

        // Its next payment fails: the emulator now declines this customer's charges, and the button offers the way back.
        await browser.GoAsync(site);
        var outcome = $"#payment-outcomes tr[data-organization-id='{id}']";
        await browser.SubmitAsync($"{outcome} button.fail-next-payment");
        Assert.Equal("/", await browser.WaitForPathAsync("/"));
        Assert.Equal("fail", await browser.TextAsync($"{outcome} .payment-outcome"));
        Assert.Single(await browser.FindAllAsync($"{outcome} button.payments-succeed"));
        Assert.Equal(PaymentOutcome.Fails, Assert.Single(factory.Stripe.State.Customers).PaymentOutcome);
    }

    [Fact]
    public async Task TestClockPanel_AFailedRenewal_IsPastDueThenSuspendedAfterTheGraceDays_AndActiveAgainOncePaid()
    {
        // The dispatcher on: the instance's usage reaches the emulator's meter, so the renewal invoice bills it.
        await using var dashboard = await DashboardSite.StartAsync(browsers, new() { ["VaultAI:Billing:Dispatcher:Enabled"] = "true" });
        var (factory, browser, site) = (dashboard.Host, dashboard.Browser, dashboard.Address);
        var id = Guid.NewGuid();
        var token = await Instances.RegisterAsync(dashboard.Instance, id, "Overdue Oy", "overdue.vaultai.example");
        await dashboard.SignInAsync();

        // No trial: the subscription is active at once and its first renewal is a month away on the Stripe clock.
        await dashboard.LinkAsync(id, "billing@overdue.example", trialDays: 0);
        using (var report = await Instances.ReportAsync(dashboard.Instance, token, id, 25, DateTimeOffset.UtcNow, "Overdue Oy", "overdue.vaultai.example"))
        {
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        }

        await WaitForMeterEventSentAsync(factory);
        await browser.GoAsync(site);
        var row = $"#linked tr[data-organization-id='{id}']";
        await WaitForStatusAsync(browser, site, row, OrganizationStatus.Active);

        // "Make the next payment fail", then a month: the renewal invoice is not paid and the organization is past due.
        var outcome = $"#payment-outcomes tr[data-organization-id='{id}']";
        await browser.SubmitAsync($"{outcome} button.fail-next-payment");
        Assert.Equal("/", await browser.WaitForPathAsync("/"));
        await browser.SubmitAsync("#advance-month");
        Assert.Equal("/", await browser.WaitForPathAsync("/"));
        await WaitForStatusAsync(browser, site, row, OrganizationStatus.PastDue);
        Assert.Contains("Overdue Oy", await browser.TextAsync("#past-due"), StringComparison.Ordinal);
        Assert.Equal(EntitlementState.GracePeriod, await CheckEntitlementAsync(dashboard, id, token));

        // The organization's page lists the unpaid renewal with its amount (base price and the 25 users reported).
        var renewal = Assert.Single(factory.Stripe.State.Invoices, i => i.Status == "open");
        Assert.True(renewal.AmountDue > 0, "the renewal invoice has an amount");
        await browser.GoAsync(new Uri(site, $"/organizations/{id}"));
        var invoiceRow = $"#invoices tr[data-invoice-id='{renewal.Id}']";
        await browser.ReloadUntilAsync("the unpaid renewal invoice", async () => await browser.TextOrNullAsync($"{invoiceRow} .badge") == "open");
        Assert.Contains(Format.Money(renewal.AmountDue, "eur"), await browser.TextAsync(invoiceRow), StringComparison.OrdinalIgnoreCase);

        // A week on: past the plan's 7 grace days (Stripe is still retrying). The instance is refused, and the events
        // page lists the organization as suspended.
        await browser.GoAsync(site);
        await browser.SubmitAsync("#advance-week");
        Assert.Equal("/", await browser.WaitForPathAsync("/"));
        Assert.Equal(EntitlementState.Suspended, await CheckEntitlementAsync(dashboard, id, token));
        await browser.GoAsync(new Uri(site, "/events"));
        Assert.Contains("Overdue Oy", await browser.TextAsync("#suspended"), StringComparison.Ordinal);

        // Recovery: payments succeed again, and Stripe's next retry (a few days on) pays the invoice.
        await browser.GoAsync(site);
        await browser.SubmitAsync($"{outcome} button.payments-succeed");
        Assert.Equal("/", await browser.WaitForPathAsync("/"));
        await browser.SubmitAsync("#advance-week");
        Assert.Equal("/", await browser.WaitForPathAsync("/"));
        await WaitForStatusAsync(browser, site, row, OrganizationStatus.Active);
        Assert.Equal("paid", Assert.Single(factory.Stripe.State.Invoices, i => i.Id == renewal.Id).Status);
        Assert.Equal(OrganizationStatus.Active, await CheckEntitlementAsync(dashboard, id, token));
        await browser.GoAsync(new Uri(site, "/events"));
        Assert.Contains("Nobody is suspended.", await browser.TextAsync("#suspended"), StringComparison.Ordinal);

        // The events page tells the story in order: the failed payment, past due, suspended, paid, resumed.
        await browser.GoAsync(new Uri(site, $"/events?organization={id}"));
        var types = new List<string>();
        foreach (var cell in await browser.FindAllAsync("#billing-events tbody tr td:nth-child(2)"))
        {
            types.Add(await browser.ElementTextAsync(cell));
        }

        types.Reverse(); // the page lists the newest first
        string[] story = [BillingEventTypes.PaymentFailed, BillingEventTypes.PastDue, BillingEventTypes.Suspended, BillingEventTypes.InvoicePaid, BillingEventTypes.Resumed];
        var at = -1;
        foreach (var type in story)
        {
            // Each after the one before (the link's first invoice was paid too, before any of this).
            at = types.IndexOf(type, at + 1);
            Assert.True(at >= 0, $"no {type} after the previous step of the story; the events page lists {string.Join(", ", types)}");
        }
    }

    /// <summary>The instance asks whether it may record one more active user; returns the entitlement's reason.</summary>
    private static async Task<string> CheckEntitlementAsync(DashboardSite dashboard, Guid id, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/organizations/{id}/entitlements/check")
        {
            Content = Instances.Json("""{"metric":"active_users","quantity":1}"""),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await dashboard.Instance.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        using var json = System.Text.Json.JsonDocument.Parse(body);
        return response.StatusCode == HttpStatusCode.OK
            ? json.RootElement.GetProperty("reason").GetString()!
            : json.RootElement.GetProperty("code").GetString()!;
    }

    private static async Task WaitForMeterEventSentAsync(HostFactory factory)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await using var scope = factory.Services.CreateAsyncScope();
            var counts = await scope.ServiceProvider.GetRequiredService<BillingAdministration>().CountMeterEventsAsync();
            if (counts.TryGetValue(OutboxStatus.Sent, out var sent) && sent > 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "the usage report's meter event never reached the emulator");
            await Task.Delay(200);
        }
    }

    /// <summary>Reloads the dashboard until the organization shows the status (webhooks are applied as they arrive).</summary>
    private static async Task WaitForStatusAsync(WebDriver browser, Uri site, string row, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await browser.GoAsync(site);
            var shown = await browser.TextAsync($"{row} .status");
            if (shown == status)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the organization is still {shown}, not {status}");
            await Task.Delay(200);
        }
    }
}
