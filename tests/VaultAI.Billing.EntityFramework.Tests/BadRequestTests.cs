using System.Net;
using Microsoft.EntityFrameworkCore;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests;

public sealed class BadRequestTests : IAsyncLifetime
{
    private StripeEmulator _stripe = null!;
    private BillingTestHost _host = null!;
    private readonly Guid _org = Guid.NewGuid();
    private readonly Guid _other = Guid.NewGuid();
    private string _token = "";
    private string _otherToken = "";

    public enum Auth
    {
        Valid,
        None,
        Wrong,
        OtherOrganization,
    }

    public static TheoryData<string, Auth, string, string?, int, string?> Cases()
    {
        const string Org = "{ORG}";
        const string Now = "{NOW}";
        var ok = $$"""{"organization_id":"{{Org}}","organization_name":"Acme","instance_url":"acme.example.com","user_count":5,"timestamp":"{{Now}}"}""";
        var long201 = new string('x', 201);
        return new TheoryData<string, Auth, string, string?, int, string?>
        {
            { "missing token", Auth.None, "/api/usage-report", ok, 401, "Authorization" },
            { "wrong token", Auth.Wrong, "/api/usage-report", ok, 401, "Authorization" },
            { "another organization's token", Auth.OtherOrganization, "/api/usage-report", ok, 403, "organization_id" },
            { "malformed JSON", Auth.Valid, "/api/usage-report", "{\"organization_id\": ", 400, "body" },
            { "empty body", Auth.Valid, "/api/usage-report", "", 400, "body" },
            { "JSON array instead of object", Auth.Valid, "/api/usage-report", "[1,2]", 400, "body" },
            { "missing organization_id", Auth.Valid, "/api/usage-report", $$"""{"user_count":5,"timestamp":"{{Now}}"}""", 400, "organization_id" },
            { "non-UUID organization_id", Auth.Valid, "/api/usage-report", $$"""{"organization_id":"abc-123","user_count":5,"timestamp":"{{Now}}"}""", 400, "organization_id" },
            { "organization_id as number", Auth.Valid, "/api/usage-report", $$"""{"organization_id":42,"user_count":5,"timestamp":"{{Now}}"}""", 400, "organization_id" },
            { "user_count missing", Auth.Valid, "/api/usage-report", $$"""{"organization_id":"{{Org}}","timestamp":"{{Now}}"}""", 400, "user_count" },
            { "user_count as string", Auth.Valid, "/api/usage-report", $$"""{"organization_id":"{{Org}}","user_count":"5","timestamp":"{{Now}}"}""", 400, "user_count" },
            { "user_count negative", Auth.Valid, "/api/usage-report", $$"""{"organization_id":"{{Org}}","user_count":-1,"timestamp":"{{Now}}"}""", 400, "user_count" },
            { "user_count above ten million", Auth.Valid, "/api/usage-report", $$"""{"organization_id":"{{Org}}","user_count":10000001,"timestamp":"{{Now}}"}""", 400, "user_count" },
            { "user_count huge number", Auth.Valid, "/api/usage-report", $$"""{"organization_id":"{{Org}}","user_count":123456789012345678901234567890,"timestamp":"{{Now}}"}""", 400, "user_count" },
            { "user_count fractional", Auth.Valid, "/api/usage-report", $$"""{"organization_id":"{{Org}}","user_count":4.5,"timestamp":"{{Now}}"}""", 400, "user_count" },
            { "timestamp missing", Auth.Valid, "/api/usage-report", $$"""{"organization_id":"{{Org}}","user_count":5}""", 400, "timestamp" },
            { "timestamp unparseable", Auth.Valid, "/api/usage-report", $$"""{"organization_id":"{{Org}}","user_count":5,"timestamp":"yesterday"}""", 400, "timestamp" },
            { "timestamp without offset", Auth.Valid, "/api/usage-report", $$"""{"organization_id":"{{Org}}","user_count":5,"timestamp":"2026-11-03T03:00:00"}""", 400, "timestamp" },
            { "timestamp an hour ahead", Auth.Valid, "/api/usage-report", $$"""{"organization_id":"{{Org}}","user_count":5,"timestamp":"{AHEAD}"}""", 400, "timestamp" },
            { "organization_name over 200", Auth.Valid, "/api/usage-report", $$"""{"organization_id":"{{Org}}","organization_name":"{{long201}}","user_count":5,"timestamp":"{{Now}}"}""", 400, "organization_name" },
            { "instance_url over 200", Auth.Valid, "/api/usage-report", $$"""{"organization_id":"{{Org}}","instance_url":"{{long201}}","user_count":5,"timestamp":"{{Now}}"}""", 400, "instance_url" },
            { "SQL-looking organization_id", Auth.Valid, "/api/usage-report", $$"""{"organization_id":"'; DROP TABLE billing.usage_reports; --","user_count":5,"timestamp":"{{Now}}"}""", 400, "organization_id" },
            { "SQL-looking user_count", Auth.Valid, "/api/usage-report", $$"""{"organization_id":"{{Org}}","user_count":"1; DELETE FROM billing.organizations","timestamp":"{{Now}}"}""", 400, "user_count" },
            { "body over 64 KiB", Auth.Valid, "/api/usage-report", "{BIG}", 413, "body" },
            { "legacy route bad deployment_type", Auth.Valid, "/api/meter-events", $$"""{"organization_id":"{{Org}}","user_count":5,"deployment_type":"mainframe","timestamp":"{{Now}}"}""", 400, "deployment_type" },
            { "legacy route missing user_count", Auth.Valid, "/api/meter-events", $$"""{"organization_id":"{{Org}}","deployment_type":"on-premise","timestamp":"{{Now}}"}""", 400, "user_count" },
            { "register non-UUID id", Auth.None, "/api/organizations/register", """{"organization_id":"not-a-uuid","organization_name":"Acme"}""", 400, "organization_id" },
            { "register missing name", Auth.None, "/api/organizations/register", """{"organization_id":"0b8f6a44-5f8e-4c55-8d7b-1d1a1f3f1c11"}""", 400, "organization_name" },
            { "register bad email", Auth.None, "/api/organizations/register", """{"organization_id":"0b8f6a44-5f8e-4c55-8d7b-1d1a1f3f1c12","organization_name":"Acme","email":"not an email"}""", 400, "email" },
            { "bad Idempotency-Key", Auth.Valid, "/api/usage-report", ok.Replace("{KEY}", "", StringComparison.Ordinal), 400, "Idempotency-Key" },
        };
    }

    public async Task InitializeAsync()
    {
        _stripe = await StripeEmulator.StartAsync();
        _host = await BillingTestHost.StartAsync(_stripe, "price_unused");
        _token = await InstanceCalls.RegisterAsync(_host.Client, _org);
        _otherToken = await InstanceCalls.RegisterAsync(_host.Client, _other, "Other");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _stripe.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadRequest_AnswersProblemNamingTheFieldAndWritesNothing(string description, Auth auth, string path, string? body, int status, string? field)
    {
        var now = _stripe.Clock.GetUtcNow();
        body = body?.Replace("{ORG}", _org.ToString(), StringComparison.Ordinal)
            .Replace("{NOW}", now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{AHEAD}", now.AddHours(1).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        if (body == "{BIG}")
        {
            body = $$"""{"organization_id":"{{_org}}","user_count":5,"padding":"{{new string('a', 70 * 1024)}}"}""";
        }

        var token = auth switch
        {
            Auth.Valid => _token,
            Auth.Wrong => "vaultai_" + new string('A', 43),
            Auth.OtherOrganization => _otherToken,
            _ => null,
        };
        var key = field == "Idempotency-Key" ? new string('k', 300) : null;

        using var response = await InstanceCalls.SendAsync(_host.Client, HttpMethod.Post, path, token, body, key);

        Assert.True((int)response.StatusCode == status, $"{description}: expected {status}, got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await InstanceCalls.ReadJsonAsync(response);
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("code").GetString()));
        Assert.Equal(field, problem.GetProperty("field").GetString());

        await using var db = _host.CreateDbContext();
        Assert.Equal(0, await db.UsageReports.CountAsync());
        Assert.Equal(0, await db.MeterEventOutbox.CountAsync());
        Assert.Equal(2, await db.Organizations.CountAsync());
        var orgs = await db.Organizations.AsNoTracking().ToListAsync();
        Assert.All(orgs, o => Assert.Null(o.LastReportAt));
    }
}
