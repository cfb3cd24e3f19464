using System.Net;
using System.Net.Http.Headers;
using BillingHost.IntegrationTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace BillingHost.IntegrationTests;

/// <summary>
/// A browser outside <c>/api</c> gets a short HTML page in the dashboard's layout for every error (status, one line, a
/// link home, no exception text outside Development); API routes answer problem details whatever the caller accepts.
/// </summary>
public class ErrorPageTests
{
    private const string Secret = "connection to 10.1.2.3 refused for user billing_owner";

    [Fact]
    public async Task FailingPage_InABrowserOutsideDevelopment_IsAnHtml500WithoutTheExceptionText()
    {
        await using var factory = FailingHost("Staging");
        using var admin = await Html.SignInAsync(factory);

        using var response = await admin.SendAsync(BrowserGet("/test-only/failing-page"));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("id=\"error-page\"", html, StringComparison.Ordinal);
        Assert.Contains("Something went wrong", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/\" id=\"error-home\"", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"/events\">Events</a>", html, StringComparison.Ordinal); // the layout's header
        Assert.DoesNotContain(Secret, html, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(InvalidOperationException), html, StringComparison.Ordinal);
        Assert.DoesNotContain("error-detail", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailingPage_InDevelopment_ShowsTheExceptionOnTheSamePage()
    {
        await using var factory = FailingHost("Development");
        using var admin = await Html.SignInAsync(factory);

        using var response = await admin.SendAsync(BrowserGet("/test-only/failing-page"));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("id=\"error-detail\"", html, StringComparison.Ordinal);
        Assert.Contains("System.InvalidOperationException: " + Secret, System.Net.WebUtility.HtmlDecode(html), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DashboardPage_WhenItsDatabaseIsDroppedMidRun_IsAnHtmlErrorPageWithoutTheDatabaseError()
    {
        await using var stripe = await VaultAI.Billing.Testing.StripeEmulator.StartAsync();
        var apiKey = BillingHost.Admin.AdminCredentials.NewApiKey();
        var connectionString = await TestDatabase.CreateDatabaseAsync("billinghost");
        var settings = await ProductionSettings.CreateAsync(stripe, connectionString, apiKey);
        settings["VaultAI:Host:MigrateAtStart"] = "true";
        await using var factory = new HostFactory(settings) { EnvironmentName = "Staging" };
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add(BillingHost.Admin.AdminAuthentication.ApiKeyHeader, apiKey);
        using (var before = await client.SendAsync(BrowserGet("/")))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var database = new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using (var admin = new Npgsql.NpgsqlConnection(TestDatabase.ConnectionString))
        {
            await admin.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand($"DROP DATABASE \"{database}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }

        using var response = await client.SendAsync(BrowserGet("/"));
        var html = await response.Content.ReadAsStringAsync();

        // 503 while the pool's connections are being torn down (transient), 500 once the database is simply gone.
        Assert.Contains((int)response.StatusCode, new[] { 500, 503 });
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("id=\"error-home\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain(database, html, StringComparison.Ordinal);
        Assert.DoesNotContain("Npgsql", html, StringComparison.Ordinal);
        Assert.DoesNotContain("does not exist", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailingPage_WhenTheDatabaseConnectionIsRefused_IsAnHtml503AskingToReload()
    {
        await using var factory = new HostFactory
        {
            EnvironmentName = "Staging",
            ConfigureTestServices = services => services.AddSingleton<IStartupFilter>(new FailingRoutes(
                () => new Npgsql.NpgsqlException("Failed to connect to 127.0.0.1:5432", new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused)))),
        };
        using var admin = await Html.SignInAsync(factory);

        using var response = await admin.SendAsync(BrowserGet("/test-only/failing-page"));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Contains("Database unavailable", html, StringComparison.Ordinal);
        Assert.DoesNotContain("5432", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailingApiRoute_AskedForHtml_StillAnswersProblemJson()
    {
        await using var factory = FailingHost("Staging");
        using var client = factory.CreateClient();

        using var response = await client.SendAsync(BrowserGet("/api/test-only/failing-route"));
        var body = await response.Content.ReadAsStringAsync();

        await HostileInputTests.AssertProblemAsync(response, HttpStatusCode.InternalServerError, "internal_error", field: null);
        Assert.DoesNotContain(Secret, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownRoute_IsAnHtml404ForABrowser_AndProblemJsonForAScript()
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();

        using var page = await client.SendAsync(BrowserGet("/no-such-page"));
        var html = await page.Content.ReadAsStringAsync();
        using var script = new HttpRequestMessage(HttpMethod.Get, "/no-such-page");
        script.Headers.Accept.ParseAdd("*/*");
        using var scripted = await client.SendAsync(script);

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Page not found", html, StringComparison.Ordinal);
        Assert.Contains("id=\"error-home\"", html, StringComparison.Ordinal);
        await HostileInputTests.AssertProblemAsync(scripted, HttpStatusCode.NotFound, "not_found", field: null);
    }

    [Fact]
    public async Task FormPostedWithoutItsAntiforgeryToken_IsAnHtml400AndSignsNobodyIn()
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateBrowserLikeClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["Name"] = "admin", ["Password"] = factory.BannerPassword() }),
        };
        request.Headers.Accept.ParseAdd("text/html");

        using var response = await client.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();
        using var dashboard = await client.SendAsync(BrowserGet("/"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Bad request", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, dashboard.StatusCode); // still signed out: sent to the sign-in form
    }

    [Fact]
    public async Task DashboardActionPostedWithoutItsAntiforgeryToken_IsAnHtml400AndMovesNothing()
    {
        await using var factory = new HostFactory();
        using var admin = await Html.SignInAsync(factory);
        var stripeNow = factory.Stripe.Clock.GetUtcNow();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/?handler=AdvanceClock")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["by"] = "month" }),
        };
        request.Headers.Accept.ParseAdd("text/html");

        using var response = await admin.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Bad request", html, StringComparison.Ordinal);
        Assert.True(factory.Stripe.Clock.GetUtcNow() - stripeNow < TimeSpan.FromDays(1), "the Stripe clock did not move");
    }

    [Fact]
    public async Task WrongMethodOnAPage_IsAnHtmlErrorPageNeverA500()
    {
        await using var factory = new HostFactory();
        using var admin = await Html.SignInAsync(factory);
        using var request = new HttpRequestMessage(HttpMethod.Delete, "/events");
        request.Headers.Accept.ParseAdd("text/html");

        using var response = await admin.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("id=\"error-page\"", html, StringComparison.Ordinal);
    }

    private static HttpRequestMessage BrowserGet(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("*/*", 0.8));
        return request;
    }

    /// <summary>The host with two test-only routes that throw, added behind the host's own pipeline by the test.</summary>
    private static HostFactory FailingHost(string environment) => new()
    {
        EnvironmentName = environment,
        ConfigureTestServices = services => services.AddSingleton<IStartupFilter>(new FailingRoutes(() => new InvalidOperationException(Secret))),
    };

    /// <summary>
    /// Runs after the host's pipeline: a request no endpoint took reaches it, inside the host's error handling, as a
    /// failing dashboard page would.
    /// </summary>
    private sealed class FailingRoutes(Func<Exception> failure) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Use(async (context, rest) =>
            {
                if (context.Request.Path.StartsWithSegments("/test-only") || context.Request.Path.StartsWithSegments("/api/test-only"))
                {
                    throw failure();
                }

                await rest(context);
            });
        };
    }
}
