using System.Net;
using BillingHost.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Webhooks;

namespace BillingHost.IntegrationTests;

[Collection(BrowserCollection.Name)]
public class DashboardBrowserTests(BrowserFixture browsers)
{
    [Fact]
    public async Task Dashboard_InHeadlessChromium_LinksAPendingOrganizationAndChartsItsUsage()
    {
        await using var dashboard = await DashboardSite.StartAsync(browsers);
        var (factory, browser, site, instance) = (dashboard.Host, dashboard.Browser, dashboard.Address, dashboard.Instance);
        var id = Guid.NewGuid();
        var token = await Instances.RegisterAsync(instance, id, "Acme Corp", "acme.vaultai.example");
        var now = DateTimeOffset.UtcNow;
        long[] counts = [42, 45, 47];
        for (var day = 0; day < counts.Length; day++)
        {
            using var report = await Instances.ReportAsync(instance, token, id, counts[day], now.AddDays(day - 2).AddMinutes(-5), "Acme Corp", "acme.vaultai.example");
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        }

        foreach (var (name, url, users) in new[] { ("Beta SARL", "beta.vaultai.example", 120L), ("Gamma GmbH", "gamma.vaultai.example", 18L) })
        {
            await dashboard.RegisterReportingAsync(Guid.NewGuid(), name, url, users, now.AddMinutes(-1));
        }

        // Not signed in: the dashboard sends the browser to the sign-in form.
        await browser.GoAsync(site);
        Assert.Equal("/login", (await browser.UrlAsync()).AbsolutePath);
        await browser.TypeAsync("#Name", "admin");
        await browser.TypeAsync("#Password", factory.BannerPassword());
        await browser.SubmitAsync("#sign-in");
        var afterSignIn = await browser.WaitForPathAsync("/");
        Assert.True(afterSignIn == "/", $"still on {afterSignIn}: {await browser.TextAsync("body")}");

        // The pending organization, linked through the form.
        await browser.ClickAsync($"#pending tr[data-organization-id='{id}'] a.link-button");
        Assert.Equal($"/organizations/{id}/link", await browser.WaitForPathAsync($"/organizations/{id}/link"));
        await browser.TypeAsync("#Input_AdminEmail", "billing@acme.example");
        await browser.ClickAsync("#Input_PlanKey option[value='self-hosted']");
        await browser.SubmitAsync("#link-submit");
        var afterLink = await browser.WaitForPathAsync($"/organizations/{id}");
        Assert.True(afterLink == $"/organizations/{id}", $"still on {afterLink}: {await browser.TextAsync("body")}");

        await browser.GoAsync(site);
        Assert.Equal(OrganizationStatus.Trial, await browser.TextAsync($"#linked tr[data-organization-id='{id}'] .status"));
        await SaveAsync(browser, "dashboard.png");

        // The organization page charts one point per report, oldest first.
        await browser.GoAsync(new Uri(site, $"/organizations/{id}"));
        var points = await browser.FindAllAsync("svg#usage-chart circle.usage-point");
        Assert.Equal(counts.Length, points.Count);
        var charted = new List<long>();
        foreach (var point in points)
        {
            charted.Add(long.Parse((await browser.AttributeAsync(point, "data-count"))!, System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Equal(counts, charted);
        await SaveAsync(browser, "organization.png");

        // Embedded mode wires the emulator's webhooks to the host: the subscription's events arrive and are applied.
        await WaitForProcessedWebhookAsync(factory);
    }

    private static async Task WaitForProcessedWebhookAsync(HostFactory factory)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await using var scope = factory.Services.CreateAsyncScope();
            var events = await scope.ServiceProvider.GetRequiredService<BillingAdministration>().ListWebhookEventsAsync(WebhookEventStatus.Processed, 100);
            if (events.Any(e => e.Type.StartsWith("customer.subscription.", StringComparison.Ordinal)))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "no subscription webhook from the embedded emulator was processed");
            await Task.Delay(100);
        }
    }

    private static async Task SaveAsync(WebDriver browser, string name)
    {
        var png = await browser.ScreenshotAsync();
        Assert.True(png.Length > 1000 && png[1] == (byte)'P' && png[2] == (byte)'N' && png[3] == (byte)'G', "a PNG screenshot");
        var folder = Path.Combine(Loopback.RepositoryRoot(), "artifacts", "screenshots");
        Directory.CreateDirectory(folder);
        await File.WriteAllBytesAsync(Path.Combine(folder, name), png);
    }
}
