using System.Text.Json.Nodes;

namespace BillingHost.IntegrationTests.Support;

/// <summary>
/// One headless Chromium session (its own temporary profile) on the shared chromedriver of <see cref="BrowserFixture"/>,
/// driven with W3C WebDriver JSON over HTTP on 127.0.0.1.
/// </summary>
internal sealed class WebDriver : IAsyncDisposable
{
    private const string ElementKey = "element-6066-11e4-a52e-4f735466cecf";
    private readonly HttpClient _http;
    private readonly string _profile;
    private string? _session;

    private WebDriver(HttpClient http, string profile)
    {
        _http = http;
        _profile = profile;
    }

    /// <summary>Opens a session on the chromedriver listening at <paramref name="driver"/>.</summary>
    public static async Task<WebDriver> StartAsync(Uri driver, string chromium)
    {
        var http = new HttpClient { BaseAddress = driver, Timeout = TimeSpan.FromSeconds(60) };
        var profile = Directory.CreateTempSubdirectory("billinghost-chromium-").FullName;
        var webDriver = new WebDriver(http, profile);
        try
        {
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

    /// <summary>The text of an element found by <see cref="FindAllAsync"/>.</summary>
    public async Task<string> ElementTextAsync(string element) => (await SendAsync(HttpMethod.Get, $"session/{_session}/element/{element}/text"))!.GetValue<string>();

    public async Task<string?> AttributeAsync(string element, string name) =>
        (await SendAsync(HttpMethod.Get, $"session/{_session}/element/{element}/attribute/{name}"))?.GetValue<string>();

    public async Task<byte[]> ScreenshotAsync() => Convert.FromBase64String((await SendAsync(HttpMethod.Get, $"session/{_session}/screenshot"))!.GetValue<string>());

    /// <summary>Waits for an element (a click that submits returns before the next page has loaded on a busy machine).</summary>
    public async Task WaitForAsync(string css, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while ((await FindAllAsync(css)).Count == 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"{css} did not appear; the page says: {await TextAsync("body")}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the page's path starts with <paramref name="prefix"/> (another site's page: Checkout, the portal).</summary>
    public async Task<Uri> WaitForPathStartingAsync(string prefix)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        var url = await UrlAsync();
        while (!url.AbsolutePath.StartsWith(prefix, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"never reached {prefix}; on {url}: {await TextAsync("body")}");
            }

            await Task.Delay(100);
            url = await UrlAsync();
        }

        return url;
    }

    /// <summary>
    /// Reloads the page until <paramref name="condition"/> holds (background work: a webhook applied by the host, an
    /// instance's registration), failing with the page's text after a generous deadline.
    /// </summary>
    public async Task ReloadUntilAsync(string what, Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"never saw {what}; the page says: {await TextAsync("body")}");
            }

            await Task.Delay(250);
            await GoAsync(await UrlAsync());
        }
    }

    /// <summary>
    /// Clicks a button that submits a form and waits until the page it was on has been replaced by the answer and that
    /// answer has loaded. A click can return before the browser has even received the answer (a slow POST on a busy
    /// machine), and when the answer redirects back to the same path, waiting for the path proves nothing.
    /// </summary>
    public async Task SubmitAsync(string css)
    {
        var page = await FindAsync("html");
        await ClickAsync(css);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await IsAttachedAsync(page) || await ReadyStateAsync() != "complete")
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"submitting with {css} never loaded the next page; the page says: {await TextAsync("body")}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The element's text, or <see langword="null"/> when the page has no such element.</summary>
    public async Task<string?> TextOrNullAsync(string css) => (await FindAllAsync(css)).Count > 0 ? await TextAsync(css) : null;

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

    /// <summary>Whether the element is still in the current document (false once the browser has loaded another page).</summary>
    private async Task<bool> IsAttachedAsync(string element)
    {
        using var response = await _http.GetAsync($"session/{_session}/element/{element}/name");
        if (response.IsSuccessStatusCode)
        {
            return true;
        }

        var text = await response.Content.ReadAsStringAsync();
        // Chromium answers "stale element reference" once the old document is gone, or, while the new one replaces it, an
        // inspector error saying the node does not belong to the document: both mean the element is detached.
        return text.Contains("stale element reference", StringComparison.Ordinal)
            || text.Contains("does not belong to the document", StringComparison.Ordinal)
            ? false
            : throw new Xunit.Sdk.XunitException($"WebDriver GET element name answered {(int)response.StatusCode}: {text}");
    }

    private async Task<string> ReadyStateAsync() =>
        (await SendAsync(HttpMethod.Post, $"session/{_session}/execute/sync", new JsonObject { ["script"] = "return document.readyState;", ["args"] = new JsonArray() }))!
            .GetValue<string>();

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
}
