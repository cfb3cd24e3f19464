using BillingHost.IntegrationTests.Support;
using InstanceDemo;
using Microsoft.AspNetCore.Builder;

namespace BillingHost.IntegrationTests;

/// <summary>
/// samples/InstanceDemo against the sample host in embedded mode (SQLite, its own emulator, webhooks wired), both on
/// real loopback ports, driven in headless Chromium as the instance's admin would.
/// </summary>
[Collection(BrowserCollection.Name)]
public class InstanceDemoBrowserTests(BrowserFixture browsers)
{
    [Fact]
    public async Task BillingPage_InHeadlessChromium_ShowsUsageUpgradesThroughCheckoutAndOpensThePortal()
    {
        // The demo's port is chosen first, for the host to allow it as a redirect origin; the ai_tokens metric comes
        // from the host's Development settings, as when both run with dotnet run.
        var demoOrigin = $"http://127.0.0.1:{Loopback.FreePort()}";
        await using var host = new HostFactory(
            new Dictionary<string, string?>
            {
                ["VaultAI:Billing:AllowedRedirectOrigins:0"] = demoOrigin,
            },
            kestrel: true);
        var billingHost = host.ServerAddress;
        var spool = Directory.CreateTempSubdirectory("instancedemo-");
        await using var demo = DemoApp.Build(
        [
            $"--urls={demoOrigin}",
            $"--contentRoot={Path.Combine(Loopback.RepositoryRoot(), "samples", "InstanceDemo")}",
            $"--VaultAI:BillingClient:BaseAddress={billingHost}",
            $"--VaultAI:BillingClient:OrganizationId={Guid.NewGuid()}",
            $"--VaultAI:BillingClient:SpoolDirectory={spool.FullName}",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await demo.StartAsync();
        var site = new Uri(demoOrigin);
        await using var browser = await browsers.NewSessionAsync();

        try
        {
            // The admin uses the AI feature once: 1,500 tokens, recorded through the client's spool.
            await browser.GoAsync(site);
            await browser.SubmitAsync("#use-ai");
            Assert.Equal("/", await browser.WaitForPathAsync("/"));
            Assert.Contains("1,500 AI tokens were recorded", await browser.TextAsync("#message"));

            // The Billing page shows the pending organization and its usage (active users recorded at start).
            await browser.GoAsync(new Uri(site, "/billing"));
            await browser.ReloadUntilAsync("active users recorded at start", async () => await browser.TextOrNullAsync("#usage tr[data-metric='active_users'] .current") == "5 users");
            Assert.Equal("1500 tokens", await browser.TextAsync("#usage tr[data-metric='ai_tokens'] .current"));
            Assert.Equal("pending", await browser.TextAsync("#plan-status"));

            // Upgrade: the emulator's hosted Checkout; a declined card keeps the admin on the form, the test card pays.
            await browser.ClickAsync("#upgrade-plan option[value='managed-cloud']");
            await browser.ClickAsync("#upgrade");
            var checkout = await browser.WaitForPathStartingAsync("/checkout/");
            Assert.Equal(host.Stripe.BaseAddress.Authority, checkout.Authority);
            await browser.TypeAsync("#card_number", "4000 0000 0000 0002");
            await browser.ClickAsync("#complete");
            await browser.WaitForPathStartingAsync(checkout.AbsolutePath + "/complete");
            Assert.Equal("Your card was declined.", await browser.TextAsync("#error"));
            await browser.TypeAsync("#card_number", "4242 4242 4242 4242");
            await browser.ClickAsync("#complete");
            var back = await browser.WaitForPathAsync("/billing");
            Assert.True(back == "/billing", $"still on {back}: {await browser.TextAsync("body")}");
            Assert.Equal(site.Authority, (await browser.UrlAsync()).Authority);

            // The host learns the new subscription from the emulator's webhooks; the page shows it on a reload.
            await browser.ReloadUntilAsync("the plan bought through Checkout", async () => await PlanKeyAsync(browser) == "managed-cloud");
            Assert.Contains(await browser.TextAsync("#plan-status"), new[] { "trial", "active" });
            Assert.Contains("visa ending in 4242", await browser.TextAsync("#payment-methods"));

            // Manage billing: the emulator's portal for the same customer, and its Return link back to the Billing page.
            await browser.ClickAsync("#manage-billing");
            var portal = await browser.WaitForPathStartingAsync("/portal/");
            Assert.Equal(host.Stripe.BaseAddress.Authority, portal.Authority);
            Assert.Equal("Billing portal", await browser.TextAsync("h1"));
            Assert.Contains("Managed Cloud", await browser.TextAsync(".subscription .plan"));
            Assert.Contains("visa ending in 4242", await browser.TextAsync("#payment-methods"));
            await browser.ClickAsync("#return");
            Assert.Equal("/billing", await browser.WaitForPathAsync("/billing"));
        }
        finally
        {
            await demo.StopAsync();
            spool.Delete(recursive: true);
        }
    }

    private static async Task<string?> PlanKeyAsync(WebDriver browser) =>
        (await browser.FindAllAsync("#plan-name")).FirstOrDefault() is { } element ? await browser.AttributeAsync(element, "data-plan") : null;
}
