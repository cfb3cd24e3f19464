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
        var demoOrigin = $"http://127.0.0.1:{FreePort()}";
        await using var host = new HostFactory(
            new Dictionary<string, string?>
            {
                ["VaultAI:Billing:AllowedRedirectOrigins:0"] = demoOrigin,
                ["VaultAI:Billing:Metrics:ai_tokens:DisplayName"] = "AI tokens",
                ["VaultAI:Billing:Metrics:ai_tokens:Unit"] = "tokens",
                ["VaultAI:Billing:Metrics:ai_tokens:Aggregation"] = "Sum",
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
            await ReloadUntilAsync(browser, "#usage tr[data-metric='active_users'] .current", "5 users");
            Assert.Equal("1500 tokens", await browser.TextAsync("#usage tr[data-metric='ai_tokens'] .current"));
            Assert.Equal("pending", await browser.TextAsync("#plan-status"));
        }
        finally
        {
            await demo.StopAsync();
            spool.Delete(recursive: true);
        }
    }

    /// <summary>Reloads the page until <paramref name="css"/> reads <paramref name="expected"/> (background work: the
    /// demo's registration, a webhook on the host), failing with the page's text after a generous deadline.</summary>
    private static async Task ReloadUntilAsync(WebDriver browser, string css, string expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var found = await browser.FindAllAsync(css);
            if (found.Count > 0 && await browser.TextAsync(css) == expected)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{css} never read '{expected}'; the page says: {await browser.TextAsync("body")}");
            }

            await Task.Delay(250);
            await browser.GoAsync(await browser.UrlAsync());
        }
    }

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
