using System.Globalization;
using System.Net;
using BillingHost.IntegrationTests.Support;
using VaultAI.Billing.Organizations;

namespace BillingHost.IntegrationTests;

/// <summary>The dashboard's MRR trend chart and the organization page's checkout link button, in headless Chromium.</summary>
[Collection(BrowserCollection.Name)]
public class RevenueAndCheckoutBrowserTests(BrowserFixture browsers)
{
    [Fact]
    public async Task Dashboard_TrialThenAMonthOnTheStripeClock_ChartsPotentialMrrThenMrrForToday()
    {
        await using var factory = new HostFactory(kestrel: true);
        var site = factory.ServerAddress;
        using var instance = new HttpClient { BaseAddress = site };
        var id = Guid.NewGuid();
        var token = await Instances.RegisterAsync(instance, id, "Chart Trial SA", "chart.vaultai.example");
        using (var report = await Instances.ReportAsync(instance, token, id, 10, DateTimeOffset.UtcNow.AddMinutes(-5), "Chart Trial SA", "chart.vaultai.example"))
        {
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        }

        await using var browser = await SignInAsync(factory);
        await browser.GoAsync(new Uri(site, $"/organizations/{id}/link"));
        await browser.TypeAsync("#Input_AdminEmail", "billing@chart.example");
        await browser.ClickAsync("#Input_PlanKey option[value='self-hosted']");
        await browser.SubmitAsync("#link-submit");
        await browser.WaitForPathAsync($"/organizations/{id}");

        // On a trial: today's point is potential MRR (10 users at 8 EUR), no MRR yet; the axes say what they measure.
        await browser.GoAsync(site);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        const string chart = "svg#revenue-chart-eur";
        Assert.Equal("EUR a month", await browser.TextAsync($"{chart} .y-label"));
        Assert.Equal("day (UTC)", await browser.TextAsync($"{chart} .x-label"));
        Assert.Equal(3, (await browser.FindAllAsync($"{chart} text.x-tick")).Count);
        Assert.Equal("8000", await browser.AttributeAsync(await browser.FindAsync($"{chart} circle.potential-mrr-point[data-date='{today}']"), "data-potential-mrr"));
        Assert.Equal("0", await browser.AttributeAsync(await browser.FindAsync($"{chart} circle.mrr-point[data-date='{today}']"), "data-mrr"));
        Assert.Equal("80.00 EUR", await browser.TextAsync("#potential-mrr"));

        // A month on the Stripe clock ends the trial: today's point moves from potential MRR to MRR.
        await browser.ClickAsync("#advance-month");
        // The click returns before the redirect has loaded: wait for the page that says the clock moved.
        var moved = DateTime.UtcNow.AddSeconds(30);
        while ((await browser.FindAllAsync(".flash")).Count == 0 || !(await browser.TextAsync(".flash")).Contains("Stripe clock moved", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < moved, "the Stripe clock did not move");
            await Task.Delay(200);
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await browser.GoAsync(site);
            if (await browser.AttributeAsync(await browser.FindAsync($"{chart} circle.mrr-point[data-date='{today}']"), "data-mrr") == "8000")
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "today's MRR point never showed the paid subscription");
            await Task.Delay(200);
        }

        Assert.Equal("0", await browser.AttributeAsync(await browser.FindAsync($"{chart} circle.potential-mrr-point[data-date='{today}']"), "data-potential-mrr"));
    }

    [Fact]
    public async Task OrganizationPage_CreateCheckoutLink_ShowsTheEmulatorsCheckoutPageOnce()
    {
        await using var factory = new HostFactory(kestrel: true);
        var site = factory.ServerAddress;
        using var instance = new HttpClient { BaseAddress = site };
        var id = Guid.NewGuid();
        await Instances.RegisterAsync(instance, id, "Checkout Pending Ltd", "checkout.vaultai.example");

        await using var browser = await SignInAsync(factory);
        await browser.GoAsync(new Uri(site, $"/organizations/{id}"));
        await browser.ClickAsync("#checkout-plan option[value='self-hosted']");
        await browser.SubmitAsync("#create-checkout");
        Assert.Equal($"/organizations/{id}", await browser.WaitForPathAsync($"/organizations/{id}"));

        // The URL is the emulator's Checkout page for a session the host created through Stripe.net.
        var url = new Uri(await browser.TextAsync("#checkout-url"));
        var checkoutPrefix = new Uri(factory.Stripe.BaseAddress, "checkout/cs_");
        Assert.StartsWith(checkoutPrefix.ToString(), url.ToString(), StringComparison.Ordinal);
        Assert.Equal(url.ToString(), await browser.AttributeAsync(await browser.FindAsync("#open-checkout-url"), "href"));
        Assert.Single(await browser.FindAllAsync("#copy-checkout-url"));
        var sessionsCreated = factory.Stripe.Requests.Count(r => r.Method == "POST" && r.Path == "/v1/checkout/sessions");
        Assert.Equal(1, sessionsCreated);

        // A reload shows the page without the link and asks Stripe for nothing.
        await browser.RefreshAsync();
        Assert.Empty(await browser.FindAllAsync("#checkout-url"));
        Assert.Equal(sessionsCreated, factory.Stripe.Requests.Count(r => r.Method == "POST" && r.Path == "/v1/checkout/sessions"));

        // The link opens the emulator's Checkout page, and the organization is still pending until the customer pays.
        using var stripePage = new HttpClient();
        using var page = await stripePage.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        await browser.GoAsync(site);
        Assert.Single(await browser.FindAllAsync($"#pending tr[data-organization-id='{id}']"));
    }

    private async Task<WebDriver> SignInAsync(HostFactory factory)
    {
        var browser = await browsers.NewSessionAsync();
        await browser.GoAsync(new Uri(factory.ServerAddress, "/login"));
        await browser.TypeAsync("#Name", "admin");
        await browser.TypeAsync("#Password", factory.BannerPassword());
        await browser.SubmitAsync("#sign-in");
        await browser.WaitForPathAsync("/");
        return browser;
    }
}
