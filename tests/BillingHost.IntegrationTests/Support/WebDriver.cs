using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BillingHost.IntegrationTests.Support;

/// <summary>
/// Headless Debian Chromium driven through chromedriver with W3C WebDriver JSON over HTTP on 127.0.0.1.
/// Paths come from CHROMIUM_PATH and CHROMEDRIVER_PATH (scripts/test.sh sets them).
/// </summary>
internal sealed class WebDriver : IAsyncDisposable
{
    private const string ElementKey = "element-6066-11e4-a52e-4f735466cecf";
    private readonly Process _driver;
    private readonly HttpClient _http;
    private readonly string _profile;
    private string? _session;

    private WebDriver(Process driver, HttpClient http, string profile)
    {
        _driver = driver;
        _http = http;
        _profile = profile;
    }

    public static async Task<WebDriver> StartAsync()
    {
        var chromium = Tool("CHROMIUM_PATH", "/usr/bin/chromium");
        var chromedriver = Tool("CHROMEDRIVER_PATH", "/usr/bin/chromedriver");
        var port = FreePort();
        var driver = Process.Start(new ProcessStartInfo(chromedriver, [$"--port={port}", "--allowed-ips=127.0.0.1"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        driver.OutputDataReceived += (_, _) => { };
        driver.ErrorDataReceived += (_, _) => { };
        driver.BeginOutputReadLine();
        driver.BeginErrorReadLine();
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
        var profile = Directory.CreateTempSubdirectory("billinghost-chromium-").FullName;
        var webDriver = new WebDriver(driver, http, profile);
        try
        {
            await webDriver.WaitReadyAsync();
            var session = await webDriver.SendAsync(HttpMethod.Post, "session", new JsonObject
            {
                ["capabilities"] = new JsonObject
                {
                    ["alwaysMatch"] = new JsonObject
                    {
                        ["browserName"] = "chrome",
                        ["goog:chromeOptions"] = new JsonObject
                        {
                            ["binary"] = chromium,
                            ["args"] = new JsonArray(
                                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1100", $"--user-data-dir={profile}"),
                        },
                    },
                },
            });
            webDriver._session = session!["sessionId"]!.GetValue<string>();
            return webDriver;
        }
        catch
        {
            await webDriver.DisposeAsync();
            throw;
        }
    }

    public Task GoAsync(Uri url) => SendAsync(HttpMethod.Post, $"session/{_session}/url", new JsonObject { ["url"] = url.ToString() });

    /// <summary>The browser's reload: repeats the request of the current page, as a user pressing F5 would.</summary>
    public Task RefreshAsync() => SendAsync(HttpMethod.Post, $"session/{_session}/refresh", new JsonObject());

    public async Task<Uri> UrlAsync() => new((await SendAsync(HttpMethod.Get, $"session/{_session}/url"))!.GetValue<string>());

    /// <summary>
    /// Waits until the page's path is <paramref name="path"/> (a click that submits a form returns before the
    /// next page has loaded on a busy machine), and returns the path it ended on.
    /// </summary>
    public async Task<string> WaitForPathAsync(string path, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        var current = (await UrlAsync()).AbsolutePath;
        while (current != path && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            current = (await UrlAsync()).AbsolutePath;
        }

        return current;
    }

    public async Task<string> FindAsync(string css) =>
        (await SendAsync(HttpMethod.Post, $"session/{_session}/element", new JsonObject { ["using"] = "css selector", ["value"] = css }))![ElementKey]!.GetValue<string>();

    public async Task<IReadOnlyList<string>> FindAllAsync(string css) =>
        (await SendAsync(HttpMethod.Post, $"session/{_session}/elements", new JsonObject { ["using"] = "css selector", ["value"] = css }))!
            .AsArray().Select(e => e![ElementKey]!.GetValue<string>()).ToList();

    public async Task TypeAsync(string css, string text)
    {
        var element = await FindAsync(css);
        await SendAsync(HttpMethod.Post, $"session/{_session}/element/{element}/clear", new JsonObject());
        await SendAsync(HttpMethod.Post, $"session/{_session}/element/{element}/value", new JsonObject { ["text"] = text });
    }

    public async Task ClickAsync(string css) => await SendAsync(HttpMethod.Post, $"session/{_session}/element/{await FindAsync(css)}/click", new JsonObject());

    public async Task<string> TextAsync(string css) => (await SendAsync(HttpMethod.Get, $"session/{_session}/element/{await FindAsync(css)}/text"))!.GetValue<string>();

    public async Task<string?> AttributeAsync(string element, string name) =>
        (await SendAsync(HttpMethod.Get, $"session/{_session}/element/{element}/attribute/{name}"))?.GetValue<string>();

    public async Task<byte[]> ScreenshotAsync() => Convert.FromBase64String((await SendAsync(HttpMethod.Get, $"session/{_session}/screenshot"))!.GetValue<string>());

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_session is not null)
            {
                using var _ = await _http.DeleteAsync($"session/{_session}");
            }
        }
        catch (HttpRequestException)
        {
            // The driver is going away anyway.
        }
        finally
        {
            _http.Dispose();
            if (!_driver.HasExited)
            {
                _driver.Kill(entireProcessTree: true);
                await _driver.WaitForExitAsync();
            }

            _driver.Dispose();
            try
            {
                Directory.Delete(_profile, recursive: true);
            }
            catch (IOException)
            {
                // Chromium may still be writing its profile; it is a temp folder.
            }
        }
    }

    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonObject? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            // chromedriver wants a Content-Length, not a chunked body.
            request.Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new Xunit.Sdk.XunitException($"WebDriver {method} {path} answered {(int)response.StatusCode}: {text}");
        }

        return JsonNode.Parse(text)?["value"];
    }

    private async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var response = await _http.GetAsync("status");
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

            if (DateTime.UtcNow >= deadline || _driver.HasExited)
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
                $"{variable} is not set and {fallback} does not exist. The browser test needs Debian's chromium and chromium-driver: run ./scripts/test.sh, which installs them and sets {variable}.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
