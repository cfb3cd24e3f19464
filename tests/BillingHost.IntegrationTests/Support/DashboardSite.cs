using System.Net;

namespace BillingHost.IntegrationTests.Support;

/// <summary>
/// What every dashboard browser test starts from: the real host in embedded mode on a loopback port (the emulator's
/// webhooks reach it), an instance's HTTP client on the same address, and a fresh headless Chromium session.
/// </summary>
internal sealed class DashboardSite : IAsyncDisposable
{
    private DashboardSite(HostFactory host, WebDriver browser)
    {
        Host = host;
        Browser = browser;
        Address = host.ServerAddress;
        Instance = new HttpClient { BaseAddress = Address };
    }

    public HostFactory Host { get; }

    public WebDriver Browser { get; }

    /// <summary>The host's address.</summary>
    public Uri Address { get; }

    /// <summary>An instance's client (no cookies, no admin rights).</summary>
    public HttpClient Instance { get; }

    public static async Task<DashboardSite> StartAsync(BrowserFixture browsers, Dictionary<string, string?>? settings = null)
    {
        var host = new HostFactory(settings, kestrel: true);
        try
        {
            _ = host.ServerAddress; // starts the host before the browser
            return new DashboardSite(host, await browsers.NewSessionAsync());
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    public Uri Url(string path) => new(Address, path);

    /// <summary>Registers an organization as its instance would and sends one user-count report; returns its token.</summary>
    public async Task<string> RegisterReportingAsync(Guid id, string name, string url, long users, DateTimeOffset at)
    {
        var token = await Instances.RegisterAsync(Instance, id, name, url);
        using var report = await Instances.ReportAsync(Instance, token, id, users, at, name, url);
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        return token;
    }

    /// <summary>Signs in through the form with the password the banner printed; ends on the dashboard.</summary>
    public async Task SignInAsync()
    {
        await Browser.GoAsync(Url("/login"));
        await Browser.TypeAsync("#Name", "admin");
        await Browser.TypeAsync("#Password", Host.BannerPassword());
        await Browser.SubmitAsync("#sign-in");
        var path = await Browser.WaitForPathAsync("/");
        Assert.True(path == "/", $"still on {path} after signing in: {await Browser.TextAsync("body")}");
    }

    /// <summary>Links a pending organization through the form; ends on its page.</summary>
    public async Task LinkAsync(Guid id, string adminEmail, string plan = "self-hosted", int? trialDays = null)
    {
        await Browser.GoAsync(Url($"/organizations/{id}/link"));
        await Browser.TypeAsync("#Input_AdminEmail", adminEmail);
        if (trialDays is { } days)
        {
            await Browser.TypeAsync("#Input_TrialDays", days.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await Browser.ClickAsync($"#Input_PlanKey option[value='{plan}']");
        await Browser.SubmitAsync("#link-submit");
        var path = await Browser.WaitForPathAsync($"/organizations/{id}");
        Assert.True(path == $"/organizations/{id}", $"still on {path} after linking: {await Browser.TextAsync("body")}");
    }

    public async ValueTask DisposeAsync()
    {
        Instance.Dispose();
        await Browser.DisposeAsync();
        await Host.DisposeAsync();
    }
}
