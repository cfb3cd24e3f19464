using System.Net;
using System.Net.Sockets;
using BillingHost.IntegrationTests.Support;
using InstanceDemo;
using Microsoft.AspNetCore.Builder;

namespace BillingHost.IntegrationTests;

/// <summary>
/// samples/InstanceDemo against the sample host in embedded mode (SQLite, its own emulator, webhooks wired), both on
/// real loopback ports, driven in headless Chromium as the instance's admin would.
/// </summary>
public class InstanceDemoBrowserTests
{
    [Fact]
    public async Task BillingPage_InHeadlessChromium_ShowsUsageUpgradesThroughCheckoutAndOpensThePortal()
    {
        // The demo's port is chosen first, for the host to allow it as a redirect origin; the ai_tokens metric comes
        // from the host's Development settings, as when both run with dotnet run.
        var demoOrigin = $"http://127.0.0.1:{FreePort()}";
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
            $"--contentRoot={Path.Combine(RepositoryRoot(), "samples", "InstanceDemo")}",
            $"--VaultAI:BillingClient:BaseAddress={billingHost}",
            $"--VaultAI:BillingClient:OrganizationId={Guid.NewGuid()}",
            $"--VaultAI:BillingClient:SpoolDirectory={spool.FullName}",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await demo.StartAsync();
        var site = new Uri(demoOrigin);
        await using var browser = await WebDriver.StartAsync();

        try
        {
            // The admin uses the AI feature once: 1,500 tokens, recorded through the client's spool.
            await browser.GoAsync(site);
            await browser.ClickAsync("#use-ai");
            Assert.Equal("/", await browser.WaitForPathAsync("/"));
            Assert.Contains("1,500 AI tokens were recorded", await browser.TextAsync("#message"));

            // The Billing page shows the pending organization and its usage (active users recorded at start).
            await browser.GoAsync(new Uri(site, "/billing"));
            await ReloadUntilAsync(browser, "active users recorded at start", async () => await TextOrNullAsync(browser, "#usage tr[data-metric='active_users'] .current") == "5 users");
            Assert.Equal("1500 tokens", await browser.TextAsync("#usage tr[data-metric='ai_tokens'] .current"));
            Assert.Equal("pending", await browser.TextAsync("#plan-status"));

            // Upgrade: the emulator's hosted Checkout; a declined card keeps the admin on the form, the test card pays.
            await browser.ClickAsync("#upgrade-plan option[value='managed-cloud']");
            await browser.ClickAsync("#upgrade");
            var checkout = await WaitForPathStartingAsync(browser, "/checkout/");
            Assert.Equal(host.Stripe.BaseAddress.Authority, checkout.Authority);
            await browser.TypeAsync("#card_number", "4000 0000 0000 0002");
            await browser.ClickAsync("#complete");
            await WaitForPathStartingAsync(browser, checkout.AbsolutePath + "/complete");
            Assert.Equal("Your card was declined.", await browser.TextAsync("#error"));
            await browser.TypeAsync("#card_number", "4242 4242 4242 4242");
            await browser.ClickAsync("#complete");
            var back = await browser.WaitForPathAsync("/billing");
            Assert.True(back == "/billing", $"still on {back}: {await browser.TextAsync("body")}");
            Assert.Equal(site.Authority, (await browser.UrlAsync()).Authority);

            // The host learns the new subscription from the emulator's webhooks; the page shows it on a reload.
            await ReloadUntilAsync(browser, "the plan bought through Checkout", async () => await PlanKeyAsync(browser) == "managed-cloud");
            Assert.Contains(await browser.TextAsync("#plan-status"), new[] { "trial", "active" });
            Assert.Contains("visa ending in 4242", await browser.TextAsync("#payment-methods"));

            // Manage billing: the emulator's portal for the same customer, and its Return link back to the Billing page.
            await browser.ClickAsync("#manage-billing");
            var portal = await WaitForPathStartingAsync(browser, "/portal/");
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

    /// <summary>Reloads the page until <paramref name="condition"/> holds (background work: the demo's registration,
    /// a webhook applied by the host), failing with the page's text after a generous deadline.</summary>
    private static async Task ReloadUntilAsync(WebDriver browser, string what, Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"never saw {what}; the page says: {await browser.TextAsync("body")}");
            }

            await Task.Delay(250);
            await browser.GoAsync(await browser.UrlAsync());
        }
    }

    private static async Task<Uri> WaitForPathStartingAsync(WebDriver browser, string prefix)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        var url = await browser.UrlAsync();
        while (!url.AbsolutePath.StartsWith(prefix, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"never reached {prefix}; on {url}: {await browser.TextAsync("body")}");
            }

            await Task.Delay(100);
            url = await browser.UrlAsync();
        }

        return url;
    }

    private static async Task<string?> TextOrNullAsync(WebDriver browser, string css) =>
        (await browser.FindAllAsync(css)).Count > 0 ? await browser.TextAsync(css) : null;

    private static async Task<string?> PlanKeyAsync(WebDriver browser) =>
        (await browser.FindAllAsync("#plan-name")).FirstOrDefault() is { } element ? await browser.AttributeAsync(element, "data-plan") : null;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "VaultAI.Billing.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (VaultAI.Billing.sln) was not found above " + AppContext.BaseDirectory);
    }
}
