using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace BillingHost.IntegrationTests.Support;

/// <summary>
/// The browser tests' one chromedriver (Debian's chromium-driver driving Debian's headless Chromium), started once for
/// the <see cref="BrowserCollection"/>; each test opens its own session with a fresh profile, so nothing (cookies,
/// storage) is shared between tests. Paths come from CHROMIUM_PATH and CHROMEDRIVER_PATH (scripts/test.sh sets them).
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private Process? _driver;
    private Uri? _address;
    private string _chromium = "";

    public async Task InitializeAsync()
    {
        _chromium = Tool("CHROMIUM_PATH", "/usr/bin/chromium");
        var chromedriver = Tool("CHROMEDRIVER_PATH", "/usr/bin/chromedriver");
        var port = Loopback.FreePort();
        _driver = Process.Start(new ProcessStartInfo(chromedriver, [$"--port={port}", "--allowed-ips=127.0.0.1"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        _driver.OutputDataReceived += (_, _) => { };
        _driver.ErrorDataReceived += (_, _) => { };
        _driver.BeginOutputReadLine();
        _driver.BeginErrorReadLine();
        _address = new Uri($"http://127.0.0.1:{port}/");
        await WaitReadyAsync(_driver, _address);
    }

    /// <summary>A new headless Chromium session; dispose it at the end of the test.</summary>
    internal Task<WebDriver> NewSessionAsync() =>
        WebDriver.StartAsync(_address ?? throw new InvalidOperationException("The fixture did not start."), _chromium);

    public async Task DisposeAsync()
    {
        if (_driver is null)
        {
            return;
        }

        if (!_driver.HasExited)
        {
            _driver.Kill(entireProcessTree: true);
            await _driver.WaitForExitAsync();
        }

        _driver.Dispose();
    }

    private static async Task WaitReadyAsync(Process driver, Uri address)
    {
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync("status");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    if (json.RootElement.GetProperty("value").GetProperty("ready").GetBoolean())
                    {
                        return;
                    }
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow >= deadline || driver.HasExited)
            {
                throw new Xunit.Sdk.XunitException("chromedriver did not become ready on 127.0.0.1.");
            }

            await Task.Delay(100);
        }
    }

    private static string Tool(string variable, string fallback)
    {
        var path = Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : fallback;
        return File.Exists(path)
            ? path
            : throw new Xunit.Sdk.XunitException(
                $"{variable} is not set and {fallback} does not exist. The browser tests need Debian's chromium and chromium-driver: run ./scripts/test.sh, which installs them and sets {variable}.");
    }
}

/// <summary>
/// Every browser test is in this collection: one chromedriver for all, and one Chromium at a time (the tests run one
/// after another, which a small CI machine also needs to keep page loads within the tests' deadlines).
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}

/// <summary>Loopback ports and the repository's folders, for tests that start processes or real servers.</summary>
internal static class Loopback
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The folder holding VaultAI.Billing.sln, above the test's binaries.</summary>
    public static string RepositoryRoot()
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
