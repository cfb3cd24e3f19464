using System.Net;
using System.Text.Json;
using BillingHost.Admin;
using BillingHost.IntegrationTests.Support;

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
