using System.Net;
using System.Text.Json;
using BillingHost.Admin;
using BillingHost.IntegrationTests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace BillingHost.IntegrationTests;

public class AdminAuthenticationTests
{
    private static readonly string ApiKey = AdminCredentials.NewApiKey();

    private static HostFactory CreateFactory() => new(new() { ["VaultAI:Host:AdminApiKeyHashes:0"] = AdminCredentials.HashApiKey(ApiKey) });

    [Fact]
    public async Task AdminApi_WithoutCredentials_Returns401ProblemDetails()
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateBrowserLikeClient();

        using var response = await client.GetAsync("/api/admin/organizations");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("admin_authentication_required", json.RootElement.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/organizations/6d0f4c8e-1b7a-4a57-9d6e-0e8f2d3c4b5a")]
    public async Task Dashboard_WithoutLogin_RedirectsToLogin(string path)
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateBrowserLikeClient();

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminApi_WrongApiKey_Returns401InvalidKey()
    {
        await using var factory = CreateFactory();
        using var client = factory.CreateBrowserLikeClient();
        client.DefaultRequestHeaders.Add(AdminAuthentication.ApiKeyHeader, AdminCredentials.NewApiKey());

        using var response = await client.GetAsync("/api/admin/organizations");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid_admin_api_key", json.RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task AdminApi_RightApiKey_Returns200()
    {
        await using var factory = CreateFactory();
        using var client = factory.CreateBrowserLikeClient();
        client.DefaultRequestHeaders.Add(AdminAuthentication.ApiKeyHeader, ApiKey);

        using var response = await client.GetAsync("/api/admin/organizations");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(0, json.RootElement.GetProperty("summary").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task AdminApi_BurstOfWrongKeysFromOneAddress_Answers429AfterTheLimitAndAnotherAddressStillGetsIn()
    {
        await using var factory = CreateLimitedFactory(new FakeTimeProvider(DateTimeOffset.UtcNow));
        using var client = factory.CreateClient();

        var burst = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await GetOrganizationsAsync(client, "203.0.113.1", AdminCredentials.NewApiKey());
            burst.Add(wrong.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], burst);
        using (var limited = await GetOrganizationsAsync(client, "203.0.113.1", ApiKey))
        {
            // Over the limit, even the right key is not checked: a guess that happens to be right teaches nothing.
            await HostileInputTests.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests, "rate_limited", field: null);
            var retryAfter = int.Parse(Assert.Single(limited.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(retryAfter, 1, 60);
        }

        using var other = await GetOrganizationsAsync(client, "198.51.100.9", ApiKey);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        using var otherWrong = await GetOrganizationsAsync(client, "198.51.100.9", AdminCredentials.NewApiKey());
        Assert.Equal(HttpStatusCode.Unauthorized, otherWrong.StatusCode);
    }

    [Fact]
    public async Task AdminApi_AddressOverItsWrongKeyLimit_IsCheckedAgainAfterTheMinuteOnTheHostClock()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var factory = CreateLimitedFactory(clock);
        using var client = factory.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            (await GetOrganizationsAsync(client, "203.0.113.1", AdminCredentials.NewApiKey())).Dispose();
        }

        clock.Advance(TimeSpan.FromSeconds(59));
        using (var stillLimited = await GetOrganizationsAsync(client, "203.0.113.1", ApiKey))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, stillLimited.StatusCode);
            Assert.Equal("1", Assert.Single(stillLimited.Headers.GetValues("Retry-After")));
        }

        clock.Advance(TimeSpan.FromSeconds(1));
        using var right = await GetOrganizationsAsync(client, "203.0.113.1", ApiKey);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        using var wrongAgain = await GetOrganizationsAsync(client, "203.0.113.1", AdminCredentials.NewApiKey());
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAgain.StatusCode);
    }

    // Three wrong keys a minute, clients behind a configured proxy (each X-Forwarded-For address is its own budget), and
    // the host's clock a FakeTimeProvider.
    private static HostFactory CreateLimitedFactory(FakeTimeProvider clock) => new(new()
    {
        ["VaultAI:Host:AdminApiKeyHashes:0"] = AdminCredentials.HashApiKey(ApiKey),
        ["VaultAI:Host:FailedAdminApiKeysPerMinute"] = "3",
        ["VaultAI:Host:ForwardedHeaders:KnownProxies:0"] = "10.0.0.5",
    })
    {
        ConfigureTestServices = services =>
        {
            services.AddSingleton<IStartupFilter>(new HostileInputTests.RemoteAddressFilter("10.0.0.5"));
            services.AddSingleton<TimeProvider>(clock);
        },
    };

    private static async Task<HttpResponseMessage> GetOrganizationsAsync(HttpClient client, string clientAddress, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/admin/organizations");
        request.Headers.Add("X-Forwarded-For", clientAddress);
        request.Headers.Add(AdminAuthentication.ApiKeyHeader, key);
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Login_WithBannerPasswordAndAntiforgery_OpensDashboard_AndLogoutEndsTheSession()
    {
        await using var factory = new HostFactory();
        using var client = await Html.SignInAsync(factory);

        using var dashboard = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        var html = await dashboard.Content.ReadAsStringAsync();
        Assert.Contains("Billing dashboard", html, StringComparison.Ordinal);
        using var api = await client.GetAsync("/api/admin/organizations");
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);

        using var logout = await client.PostAsync("/logout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = Html.AntiforgeryToken(html) }));
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        using var after = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/login", after.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_WithoutAntiforgeryToken_IsRejected()
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateBrowserLikeClient();
        await client.GetStringAsync("/login");

        using var response = await client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["Name"] = "admin", ["Password"] = factory.BannerPassword() }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var dashboard = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, dashboard.StatusCode);
    }

    [Fact]
    public async Task Login_WrongPassword_ShowsTheErrorOnTheForm()
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateBrowserLikeClient();

        using var response = await Html.SubmitAsync(client, "/login", "/login", new Dictionary<string, string> { ["Name"] = "admin", ["Password"] = "not the password" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Wrong name or password.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var dashboard = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, dashboard.StatusCode);
    }
}
