using System.Net;
using Microsoft.EntityFrameworkCore;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests;

public sealed class CredentialTests
{
    [Fact]
    public async Task Register_StoresOnlyTheHashAndReturnsTheTokenOnce()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var orgId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, orgId);

        Assert.StartsWith("vaultai_", token, StringComparison.Ordinal);
        Assert.True(token.Length >= 40);
        await using var db = host.CreateDbContext();
        var credential = await db.Credentials.SingleAsync();
        Assert.NotEqual(token, credential.TokenHash);
        Assert.DoesNotContain(token, credential.TokenHash, StringComparison.Ordinal);
        Assert.Equal(64, credential.TokenHash.Length);

        // Re-registering without the token is refused; with it, accepted without a new token.
        using var without = await host.Client.PostAsync("/api/organizations/register", InstanceCalls.Json($$"""{"organization_id":"{{orgId}}","organization_name":"Acme"}"""));
        Assert.Equal(HttpStatusCode.Conflict, without.StatusCode);
        Assert.Equal("organization_exists", (await InstanceCalls.ReadJsonAsync(without)).GetProperty("code").GetString());

        using var with = await InstanceCalls.SendAsync(host.Client, HttpMethod.Post, "/api/organizations/register", token, $$"""{"organization_id":"{{orgId}}","organization_name":"Acme"}""");
        var json = await InstanceCalls.ReadJsonAsync(with);
        Assert.Equal(HttpStatusCode.OK, with.StatusCode);
        Assert.True(json.GetProperty("already_registered").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, json.GetProperty("billing_token").ValueKind);
        Assert.Equal(1, await db.Credentials.CountAsync());
    }

    [Fact]
    public async Task TokenOfAnotherOrganization_Answers403AndWritesNothing()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var victim = Guid.NewGuid();
        var attacker = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(host.Client, victim, "Victim");
        var attackerToken = await InstanceCalls.RegisterAsync(host.Client, attacker, "Attacker");

        using var report = await InstanceCalls.ReportAsync(host.Client, attackerToken, victim, 1000, stripe.Clock.GetUtcNow());
        Assert.Equal(HttpStatusCode.Forbidden, report.StatusCode);
        using var status = await InstanceCalls.SendAsync(host.Client, HttpMethod.Get, $"/api/organizations/{victim}/status", attackerToken, null);
        Assert.Equal(HttpStatusCode.Forbidden, status.StatusCode);

        await using var db = host.CreateDbContext();
        Assert.Equal(0, await db.UsageReports.CountAsync());
    }

    [Fact]
    public async Task RotateAndRevoke_OldTokenStopsWorkingNewOneWorks()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var orgId = Guid.NewGuid();
        var oldToken = await InstanceCalls.RegisterAsync(host.Client, orgId);

        using var rotate = await host.Admin.PostAsync($"/api/admin/organizations/{orgId}/rotate-token", null);
        var newToken = (await InstanceCalls.ReadJsonAsync(rotate)).GetProperty("billing_token").GetString();
        Assert.NotEqual(oldToken, newToken);

        using (var old = await InstanceCalls.ReportAsync(host.Client, oldToken, orgId, 1, stripe.Clock.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        }

        using (var fresh = await InstanceCalls.ReportAsync(host.Client, newToken, orgId, 1, stripe.Clock.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        (await host.Admin.PostAsync($"/api/admin/organizations/{orgId}/revoke-token", null)).EnsureSuccessStatusCode();
        using var revoked = await InstanceCalls.ReportAsync(host.Client, newToken, orgId, 2, stripe.Clock.GetUtcNow());
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
    }

    [Fact]
    public async Task EnrollmentKey_RequiredWhenConfigured()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var key = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused", configure: o => o.Registration.EnrollmentKey = key);
        var body = $$"""{"organization_id":"{{Guid.NewGuid()}}","organization_name":"Acme"}""";

        using var missing = await host.Client.PostAsync("/api/organizations/register", InstanceCalls.Json(body));
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);

        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/api/organizations/register") { Content = InstanceCalls.Json(body) };
        wrong.Headers.Add("X-Enrollment-Key", "not-the-key");
        Assert.Equal(HttpStatusCode.Forbidden, (await host.Client.SendAsync(wrong)).StatusCode);

        using var right = new HttpRequestMessage(HttpMethod.Post, "/api/organizations/register") { Content = InstanceCalls.Json(body) };
        right.Headers.Add("X-Enrollment-Key", key);
        Assert.Equal(HttpStatusCode.Created, (await host.Client.SendAsync(right)).StatusCode);
    }

    [Fact]
    public async Task AdminRoutes_WithoutAdminIdentity_AreRefused()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var orgId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, orgId);

        using var anonymous = await host.Client.GetAsync("/api/admin/organizations");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var instanceToken = await InstanceCalls.SendAsync(host.Client, HttpMethod.Post, $"/api/admin/organizations/{orgId}/rotate-token", token, null);
        Assert.Equal(HttpStatusCode.Unauthorized, instanceToken.StatusCode);
    }
}
