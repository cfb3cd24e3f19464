using System.Net;
using BillingHost.IntegrationTests.Support;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Testing;

namespace BillingHost.IntegrationTests;

/// <summary>The dashboard's Stripe test clock panel (embedded mode), driven in headless Chromium.</summary>
public class TestClockBrowserTests
{
    [Fact]
    public async Task TestClockPanel_AdvanceAMonth_EndsTheTrialAddsAnInvoiceAndMovesMrr_AndMakesTheNextPaymentFail()
    {
        await using var factory = new HostFactory(kestrel: true);
        var site = factory.ServerAddress;
        using var instance = new HttpClient { BaseAddress = site };
        var id = Guid.NewGuid();
        var token = await Instances.RegisterAsync(instance, id, "Clockwork SA", "clockwork.vaultai.example");
        using (var report = await Instances.ReportAsync(instance, token, id, 30, DateTimeOffset.UtcNow.AddMinutes(-5), "Clockwork SA", "clockwork.vaultai.example"))
        {
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        }

        await using var browser = await WebDriver.StartAsync();
        await browser.GoAsync(new Uri(site, "/login"));
        await browser.TypeAsync("#Name", "admin");
        await browser.TypeAsync("#Password", factory.BannerPassword());
        await browser.ClickAsync("#sign-in");
        await browser.WaitForPathAsync("/");
        await browser.GoAsync(new Uri(site, $"/organizations/{id}/link"));
        await browser.TypeAsync("#Input_AdminEmail", "billing@clockwork.example");
        await browser.ClickAsync("#Input_PlanKey option[value='self-hosted']");
        await browser.ClickAsync("#link-submit");
        await browser.WaitForPathAsync($"/organizations/{id}");
        var invoicesBefore = (await browser.FindAllAsync("#invoices tr[data-invoice-id]")).Count;

        await browser.GoAsync(site);
        var row = $"#linked tr[data-organization-id='{id}']";
        Assert.Equal(OrganizationStatus.Trial, await browser.TextAsync($"{row} .status"));
        var mrrBefore = await browser.TextAsync("#mrr");
        var stripeNowBefore = await browser.TextAsync("#stripe-now");

        // A month on the Stripe clock (post/redirect/get): the trial ends, Stripe invoices and the webhooks arrive.
        await browser.ClickAsync("#advance-month");
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
        await browser.ClickAsync($"{outcome} button.fail-next-payment");
        Assert.Equal("/", await browser.WaitForPathAsync("/"));
        Assert.Equal("fail", await browser.TextAsync($"{outcome} .payment-outcome"));
        Assert.Single(await browser.FindAllAsync($"{outcome} button.payments-succeed"));
        Assert.Equal(PaymentOutcome.Fails, Assert.Single(factory.Stripe.State.Customers).PaymentOutcome);
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
