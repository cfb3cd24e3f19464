using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BillingHost.IntegrationTests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace BillingHost.IntegrationTests;

/// <summary>Issue 11: what an outside probe of the instance and admin APIs found, one test per defect.</summary>
public class HostileInputTests
{
    private const string LoneSurrogate = "\\ud800"; // the six characters of the JSON escape, not a C# char

    [Theory]
    [InlineData("organization_id")]
    [InlineData("organization_name")]
    [InlineData("instance_url")]
    [InlineData("email")]
    public async Task Register_LoneSurrogateEscapeInAString_Answers400NamingTheField(string field)
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();
        var values = new Dictionary<string, string>
        {
            ["organization_id"] = Guid.NewGuid().ToString(),
            ["organization_name"] = "Acme",
            ["instance_url"] = "acme.example.com",
            ["email"] = "ann@example.com",
        };
        values[field] = "a" + LoneSurrogate + "b";
        var body = "{" + string.Join(",", values.Select(v => $"\"{v.Key}\":\"{v.Value}\"")) + "}";

        using var response = await client.PostAsync("/api/organizations/register", Instances.Json(body));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_string", field);
    }

    [Fact]
    public async Task ReportUsage_LoneSurrogateEscapeInTimestamp_Answers400NamingTheField()
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();
        var id = Guid.NewGuid();
        var token = await Instances.RegisterAsync(client, id);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/usage-report")
        {
            Content = Instances.Json($$"""{"organization_id":"{{id}}","user_count":3,"timestamp":"2026-11-03T03:00:00Z{{LoneSurrogate}}"}"""),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var response = await client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_string", "timestamp");
    }

    [Fact]
    public async Task Register_DifferentAuthorizationHeaderEachTime_StillLimitedPerClientAddress()
    {
        await using var factory = new HostFactory(new() { ["VaultAI:Host:UnauthenticatedRequestsPerMinute"] = "3" });
        using var client = factory.CreateClient();
        var statuses = new List<HttpStatusCode>();

        for (var i = 0; i < 4; i++)
        {
            using var request = RegisterRequest(Guid.NewGuid());
            request.Headers.TryAddWithoutValidation("Authorization", $"Bearer made-up-{i}");
            using var response = await client.SendAsync(request);
            statuses.Add(response.StatusCode);
            if (i == 3)
            {
                await AssertProblemAsync(response, HttpStatusCode.TooManyRequests, "rate_limited", field: null);
                Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After says when to come back");
            }
        }

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task ReportUsage_GuessedTokensFromOneAddress_StopBeingCheckedAfterTheLimit()
    {
        await using var factory = new HostFactory(new() { ["VaultAI:Host:UnauthenticatedRequestsPerMinute"] = "3" });
        using var client = factory.CreateClient();
        var id = Guid.NewGuid();
        var token = await Instances.RegisterAsync(client, id); // spends 1 of 3
        var statuses = new List<HttpStatusCode>();

        foreach (var guess in new[] { "guess-1", "guess-2", "guess-3", token })
        {
            using var response = await Instances.ReportAsync(client, guess, id, 5, DateTimeOffset.UtcNow);
            statuses.Add(response.StatusCode);
        }

        // Two wrong guesses spend the budget; the third is refused unchecked, and so is the right token from that address.
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task ReportUsage_SameTokenSpelledDifferently_SharesTheOrganizationsLimit()
    {
        await using var factory = new HostFactory(new() { ["VaultAI:Host:InstanceRequestsPerMinute"] = "2" });
        using var client = factory.CreateClient();
        var id = Guid.NewGuid();
        var token = await Instances.RegisterAsync(client, id);
        var statuses = new List<HttpStatusCode>();

        foreach (var header in new[] { $"Bearer {token}", $"bearer {token}", $"BEARER {token} " })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/organizations/{id}/status");
            request.Headers.TryAddWithoutValidation("Authorization", header);
            using var response = await client.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task Register_BehindConfiguredProxy_LimitsEachForwardedClientSeparately()
    {
        await using var factory = new HostFactory(new()
        {
            ["VaultAI:Host:UnauthenticatedRequestsPerMinute"] = "1",
            ["VaultAI:Host:ForwardedHeaders:KnownProxies:0"] = "10.0.0.5",
        })
        {
            ConfigureTestServices = services => services.AddSingleton<IStartupFilter>(new RemoteAddressFilter("10.0.0.5")),
        };
        using var client = factory.CreateClient();

        var first = await RegisterFromAsync(client, "203.0.113.1");
        var firstAgain = await RegisterFromAsync(client, "203.0.113.1");
        var second = await RegisterFromAsync(client, "203.0.113.2");

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.TooManyRequests, HttpStatusCode.Created], new[] { first, firstAgain, second });
    }

    [Fact]
    public async Task Register_NoProxyConfigured_IgnoresForwardedFor()
    {
        await using var factory = new HostFactory(new() { ["VaultAI:Host:UnauthenticatedRequestsPerMinute"] = "1" })
        {
            ConfigureTestServices = services => services.AddSingleton<IStartupFilter>(new RemoteAddressFilter("198.51.100.7")),
        };
        using var client = factory.CreateClient();

        var first = await RegisterFromAsync(client, "203.0.113.1");
        var spoofed = await RegisterFromAsync(client, "203.0.113.2");

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.TooManyRequests], new[] { first, spoofed });
    }

    [Fact]
    public async Task Register_NilUuid_Answers400NamingTheField()
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();

        using var response = await client.SendAsync(RegisterRequest(Guid.Empty));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_field", "organization_id");
    }

    [Fact]
    public async Task Status_NilUuidInPath_Answers400NamingTheField()
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();
        var token = await Instances.RegisterAsync(client, Guid.NewGuid());
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/organizations/{Guid.Empty}/status");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var response = await client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_field", "organization_id");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain")]
    [InlineData("text/x-json")]
    [InlineData("application/jsonp")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("multipart/form-data; boundary=json")]
    public async Task Register_NotAJsonContentType_Answers415Problem(string? contentType)
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();
        using var request = RegisterRequest(Guid.NewGuid());
        request.Content!.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);

        using var response = await client.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type", "Content-Type");
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=\"UTF-8\"")]
    [InlineData("application/vnd.vaultai+json")]
    public async Task Register_JsonContentType_IsAccepted(string contentType)
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();
        using var request = RegisterRequest(Guid.NewGuid());
        request.Content!.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("@")]
    [InlineData("a@")]
    [InlineData("@example.com")]
    [InlineData("a@b")]
    [InlineData("a@b.")]
    [InlineData("a@.com")]
    [InlineData("a@@example.com")]
    [InlineData("Ann <ann@example.com>")]
    [InlineData("\\\"ann\\\"@example.com")]
    [InlineData("ann@example..com")]
    [InlineData("ann@-example.com")]
    [InlineData("ann@[127.0.0.1]")]
    public async Task Register_NotAnEmailAddress_Answers400NamingTheField(string email)
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();

        using var response = await client.PostAsync("/api/organizations/register", Instances.Json($$"""{"organization_id":"{{Guid.NewGuid()}}","organization_name":"Acme","email":"{{email}}"}"""));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_email", "email");
    }

    [Theory]
    [InlineData("ann@example.com")]
    [InlineData("ann.lee+billing@mail.example.co.uk")]
    [InlineData("zoë@exämple.ch")]
    public async Task Register_EmailAddress_IsAccepted(string email)
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();

        using var response = await client.PostAsync("/api/organizations/register", Instances.Json($$"""{"organization_id":"{{Guid.NewGuid()}}","organization_name":"Acme","email":"{{email}}"}"""));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Register_LoneSurrogateEscapeInAPropertyName_Answers400()
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();

        using var response = await client.PostAsync("/api/organizations/register", Instances.Json($$"""{"{{LoneSurrogate}}":1,"organization_id":"{{Guid.NewGuid()}}","organization_name":"Acme"}"""));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_string", "body");
    }

    [Theory]
    [InlineData("search")]
    [InlineData("status")]
    public async Task AdminList_NulCharacterInQueryOnPostgres_Answers400NamingTheParameter(string parameter)
    {
        await using var stripe = await VaultAI.Billing.Testing.StripeEmulator.StartAsync();
        var apiKey = BillingHost.Admin.AdminCredentials.NewApiKey();
        var settings = await ProductionSettings.CreateAsync(stripe, await TestDatabase.CreateDatabaseAsync("billinghost"), apiKey);
        settings["VaultAI:Host:MigrateAtStart"] = "true";
        await using var factory = new HostFactory(settings);
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add(BillingHost.Admin.AdminAuthentication.ApiKeyHeader, apiKey);

        using var response = await client.GetAsync($"/api/admin/organizations?{parameter}=a%00b");

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "invalid_field", parameter);
    }

    [Fact]
    public async Task Register_DuplicateProperty_Answers400MalformedJson()
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();

        using var response = await client.PostAsync("/api/organizations/register", Instances.Json($$"""{"organization_id":"{{Guid.NewGuid()}}","organization_name":"Acme","organization_name":"Other"}"""));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "malformed_json", "body");
    }

    [Theory]
    [InlineData("GET", "/api/no-such-route", 404, "not_found")]
    [InlineData("POST", "/api/organizations/{0}/no-such-action", 404, "not_found")]
    [InlineData("GET", "/api/usage-report", 405, "method_not_allowed")]
    [InlineData("DELETE", "/api/organizations/register", 405, "method_not_allowed")]
    public async Task UnmatchedRoute_AnyCaller_AnswersProblemWithCode(string method, string path, int status, string code)
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), string.Format(System.Globalization.CultureInfo.InvariantCulture, path, Guid.NewGuid()));
        request.Headers.Accept.ParseAdd("text/html");

        using var response = await client.SendAsync(request);

        await AssertProblemAsync(response, (HttpStatusCode)status, code, field: null);
    }

    internal static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code, string? field)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(code, json.RootElement.GetProperty("code").GetString());
        if (field is not null)
        {
            Assert.Equal(field, json.RootElement.GetProperty("field").GetString());
        }
    }

    private static HttpRequestMessage RegisterRequest(Guid id) =>
        new(HttpMethod.Post, "/api/organizations/register")
        {
            Content = new StringContent($$"""{"organization_id":"{{id}}","organization_name":"Acme"}""", Encoding.UTF8, "application/json"),
        };

    private static async Task<HttpStatusCode> RegisterFromAsync(HttpClient client, string forwardedFor)
    {
        using var request = RegisterRequest(Guid.NewGuid());
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>TestServer has no socket: this gives every request the address a real connection would have.</summary>
    internal sealed class RemoteAddressFilter(string address) : IStartupFilter
    {
        public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> next) => app =>
        {
            app.Use(nextMiddleware => context =>
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse(address);
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
