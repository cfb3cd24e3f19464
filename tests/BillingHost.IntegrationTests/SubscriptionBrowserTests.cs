using System.Net;
using BillingHost.IntegrationTests.Support;

namespace BillingHost.IntegrationTests;

/// <summary>The plan change page in headless chromium: pick, review, confirm; the new plan shows and the event log has it.</summary>
public class SubscriptionBrowserTests
{
    [Fact]
    public async Task ChangePlan_InHeadlessChromium_ReviewThenConfirmShowsTheNewPlanAndLogsTheChange()
    {
        await using var factory = new HostFactory(kestrel: true);
        var site = factory.ServerAddress;
        using var instance = new HttpClient { BaseAddress = site };
        var id = Guid.NewGuid();
        var token = await Instances.RegisterAsync(instance, id, "Acme Corp", "acme.vaultai.example");
        using (var report = await Instances.ReportAsync(instance, token, id, 12, DateTimeOffset.UtcNow.AddMinutes(-1), "Acme Corp", "acme.vaultai.example"))
        {
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        }

        await using var browser = await WebDriver.StartAsync();
        await browser.GoAsync(new Uri(site, "/login"));
        await browser.TypeAsync("#Name", "admin");
        await browser.TypeAsync("#Password", factory.BannerPassword());
        await browser.ClickAsync("#sign-in");
        Assert.Equal("/", await browser.WaitForPathAsync("/"));

        // Linked on the self-hosted plan through the link form.
        await browser.GoAsync(new Uri(site, $"/organizations/{id}/link"));
        await browser.TypeAsync("#Input_AdminEmail", "billing@acme.example");
        await browser.ClickAsync("#Input_PlanKey option[value='self-hosted']");
        await browser.ClickAsync("#link-submit");
        Assert.Equal($"/organizations/{id}", await browser.WaitForPathAsync($"/organizations/{id}"));

        // From the organization's page to its subscription page; pick another plan and review it.
        await browser.ClickAsync("#manage-subscription");
        Assert.Equal($"/organizations/{id}/subscription", await browser.WaitForPathAsync($"/organizations/{id}/subscription"));
        Assert.Equal("self-hosted", await browser.TextAsync("#current-plan"));
        await browser.ClickAsync("#planType option[value='managed-cloud']");
        await browser.ClickAsync("#review-plan");
        await WaitForAsync(browser, "#confirm-plan");
        Assert.Equal("self-hosted", await browser.TextAsync("#current-plan"));

        // Confirmed: back on the organization's page, which names the new plan, as does the subscription page.
        await browser.ClickAsync("#confirm-plan");
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

    private static async Task WaitForAsync(WebDriver browser, string css)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await browser.FindAllAsync(css)).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{css} did not appear: {await browser.TextAsync("body")}");
            await Task.Delay(100);
        }
    }
}
