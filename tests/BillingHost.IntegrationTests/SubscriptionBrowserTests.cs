using BillingHost.IntegrationTests.Support;

namespace BillingHost.IntegrationTests;

/// <summary>The plan change page in headless chromium: pick, review, confirm; the new plan shows and the event log has it.</summary>
[Collection(BrowserCollection.Name)]
public class SubscriptionBrowserTests(BrowserFixture browsers)
{
    [Fact]
    public async Task ChangePlan_InHeadlessChromium_ReviewThenConfirmShowsTheNewPlanAndLogsTheChange()
    {
        await using var dashboard = await DashboardSite.StartAsync(browsers);
        var (browser, site) = (dashboard.Browser, dashboard.Address);
        var id = Guid.NewGuid();
        await dashboard.RegisterReportingAsync(id, "Acme Corp", "acme.vaultai.example", 12, DateTimeOffset.UtcNow.AddMinutes(-1));
        await dashboard.SignInAsync();

        // Linked on the self-hosted plan through the link form.
        await dashboard.LinkAsync(id, "billing@acme.example");

        // From the organization's page to its subscription page; pick another plan and review it.
        await browser.ClickAsync("#manage-subscription");
        Assert.Equal($"/organizations/{id}/subscription", await browser.WaitForPathAsync($"/organizations/{id}/subscription"));
        Assert.Equal("self-hosted", await browser.TextAsync("#current-plan"));
        await browser.ClickAsync("#planType option[value='managed-cloud']");
        await browser.SubmitAsync("#review-plan");
        await browser.WaitForAsync("#confirm-plan");
        Assert.Equal("self-hosted", await browser.TextAsync("#current-plan"));

        // Confirmed: back on the organization's page, which names the new plan, as does the subscription page.
        await browser.SubmitAsync("#confirm-plan");
        Assert.Equal($"/organizations/{id}", await browser.WaitForPathAsync($"/organizations/{id}"));
        Assert.Contains("Plan changed to managed-cloud.", await browser.TextAsync("body"), StringComparison.Ordinal);
        await browser.GoAsync(new Uri(site, $"/organizations/{id}/subscription"));
        Assert.Equal("managed-cloud", await browser.TextAsync("#current-plan"));

        // The billing event log has the change, with who made it.
        await browser.GoAsync(new Uri(site, $"/events?organization={id}&type=plan_changed"));
        var rows = await browser.FindAllAsync("#billing-events tbody tr");
        var row = await browser.TextAsync("#billing-events tbody tr");
        Assert.Single(rows);
        Assert.Contains("plan_changed", row, StringComparison.Ordinal);
        Assert.Contains("\"from\":\"self-hosted\"", row, StringComparison.Ordinal);
        Assert.Contains("\"to\":\"managed-cloud\"", row, StringComparison.Ordinal);
        Assert.Contains("admin", row, StringComparison.Ordinal);
    }
}
