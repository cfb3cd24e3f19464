using System.Net;
using BillingHost.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing;
using VaultAI.Billing.Organizations;

namespace BillingHost.IntegrationTests;

/// <summary>
/// Destructive dashboard actions in headless Chromium: the browser will not submit them until the confirmation box is
/// ticked, and reloading the page that shows their result repeats nothing.
/// </summary>
[Collection(BrowserCollection.Name)]
public class DashboardConfirmationBrowserTests(BrowserFixture browsers)
{
    [Fact]
    public async Task RotateTokenAndCancelNow_InHeadlessChromium_NeedTheBoxTickedAndAReloadRepeatsNothing()
    {
        await using var dashboard = await DashboardSite.StartAsync(browsers);
        var (factory, browser, instance) = (dashboard.Host, dashboard.Browser, dashboard.Instance);
        var id = Guid.NewGuid();
        var oldToken = await dashboard.RegisterReportingAsync(id, "Acme Corp", "acme.vaultai.example", 42, DateTimeOffset.UtcNow.AddMinutes(-5));
        await dashboard.SignInAsync();
        await dashboard.LinkAsync(id, "billing@acme.example");

        // Rotate without the box: the browser refuses the form (the box is required), the old token still works.
        await browser.ClickAsync("#rotate-token");
        Assert.Single(await browser.FindAllAsync("#confirm-rotate-token:invalid"));
        Assert.Empty(await browser.FindAllAsync("#new-token"));

        // Ticked: the new token is shown on the organization page (a GET after the POST's redirect).
        await browser.ClickAsync("#confirm-rotate-token");
        await browser.ClickAsync("#rotate-token");
        await browser.WaitForAsync("#new-token");
        var newToken = await browser.TextAsync("#new-token");
        Assert.NotEqual(oldToken, newToken);
        Assert.Equal($"/organizations/{id}", (await browser.UrlAsync()).AbsolutePath);

        // A reload shows the page again without the token and issues no other: the token shown still works.
        await browser.RefreshAsync();
        await browser.WaitForAsync("#rotate-token");
        Assert.Empty(await browser.FindAllAsync("#new-token"));
        using (var report = await Instances.ReportAsync(instance, newToken, id, 43, DateTimeOffset.UtcNow.AddMinutes(-1), "Acme Corp", "acme.vaultai.example"))
        {
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        }

        // Cancel now without the box: refused by the browser, the subscription is untouched.
        await browser.ClickAsync("#cancel-now");
        Assert.Single(await browser.FindAllAsync("#confirm-cancel-now:invalid"));
        Assert.NotEqual(OrganizationStatus.Canceled, (await ReadAsync(factory, id)).Status);

        // Ticked: canceled in Stripe and here.
        await browser.ClickAsync("#confirm-cancel-now");
        await browser.ClickAsync("#cancel-now");
        Assert.True(await WaitForCanceledAsync(factory, id), "the organization was not canceled");
        Assert.Equal("canceled", Assert.Single(factory.Stripe.State.Subscriptions).Status);
    }

    private static async Task<Organization> ReadAsync(HostFactory factory, Guid id)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<BillingAdministration>().GetOrganizationAsync(id))!;
    }

    private static async Task<bool> WaitForCanceledAsync(HostFactory factory, Guid id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await ReadAsync(factory, id)).Status != OrganizationStatus.Canceled)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(100);
        }

        return true;
    }
}
