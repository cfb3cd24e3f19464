using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using VaultAI.Billing.Credentials.Internal;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests;

/// <summary>Two hosts on one database: the verified-token cache and how fast a revocation reaches each host.</summary>
public sealed class CredentialCacheTests
{
    [Fact]
    public async Task RevokeOnOneHost_StopsTheTokenThereAtOnceAndOnTheOtherHostWithinTheCacheDuration()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var revoking = await BillingTestHost.StartAsync(stripe, "price_unused");
        await using var other = await BillingTestHost.StartAsync(stripe, "price_unused", revoking.ConnectionString);
        var bound = other.Services.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value.Credentials.CacheDuration;
        Assert.Equal(TimeSpan.FromSeconds(30), bound);

        var orgId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(revoking.Client, orgId);
        using (var first = await InstanceCalls.ReportAsync(other.Client, token, orgId, 1, stripe.Clock.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using (var warm = await InstanceCalls.ReportAsync(revoking.Client, token, orgId, 2, stripe.Clock.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        (await revoking.Admin.PostAsync($"/api/admin/organizations/{orgId}/revoke-token", null)).EnsureSuccessStatusCode();

        // The host that revoked forgets the token at once, although it had just verified it.
        using (var here = await InstanceCalls.ReportAsync(revoking.Client, token, orgId, 3, stripe.Clock.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, here.StatusCode);
        }

        // The other host trusts what it verified until the bound, and not a tick longer.
        stripe.Clock.Advance(bound - TimeSpan.FromSeconds(1));
        using (var stale = await InstanceCalls.ReportAsync(other.Client, token, orgId, 4, stripe.Clock.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        }

        stripe.Clock.Advance(TimeSpan.FromSeconds(1));
        using (var there = await InstanceCalls.ReportAsync(other.Client, token, orgId, 5, stripe.Clock.GetUtcNow()))
        {
            await AssertInvalidTokenAsync(there);
        }

        // Only the two accepted reports before the revocation and the stale one within the bound were stored.
        Assert.Equal(3, await CountReportsAsync(revoking.ConnectionString, orgId));
    }

    [Fact]
    public async Task RevokeOnOneHost_AfterTheOtherHostSweptAndReadTheTokenAgain_StopsItThereWithinTheCacheDuration()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var revoking = await BillingTestHost.StartAsync(stripe, "price_unused");
        await using var other = await BillingTestHost.StartAsync(stripe, "price_unused", revoking.ConnectionString);
        var bound = other.Services.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value.Credentials.CacheDuration;
        var cache = other.Services.GetRequiredService<Credentials.Internal.CredentialCache>();
        var orgId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(revoking.Client, orgId);
        var bystander = Guid.NewGuid();
        var bystanderToken = await InstanceCalls.RegisterAsync(revoking.Client, bystander);
        using (var first = await InstanceCalls.ReportAsync(other.Client, token, orgId, 1, stripe.Clock.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        Assert.Equal(1, cache.Count);

        // A cache duration later another organization's first report sweeps the expired token out of the other host's memory.
        stripe.Clock.Advance(bound);
        using (var swept = await InstanceCalls.ReportAsync(other.Client, bystanderToken, bystander, 1, stripe.Clock.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.OK, swept.StatusCode);
        }

        Assert.Equal(1, cache.Count);

        // The token is read again from the database (still active) and trusted for a new cache duration.
        using (var reread = await InstanceCalls.ReportAsync(other.Client, token, orgId, 2, stripe.Clock.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.OK, reread.StatusCode);
        }

        Assert.Equal(2, cache.Count);
        (await revoking.Admin.PostAsync($"/api/admin/organizations/{orgId}/revoke-token", null)).EnsureSuccessStatusCode();
        stripe.Clock.Advance(bound - TimeSpan.FromSeconds(1));
        using (var stale = await InstanceCalls.ReportAsync(other.Client, token, orgId, 3, stripe.Clock.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        }

        stripe.Clock.Advance(TimeSpan.FromSeconds(1));
        using (var there = await InstanceCalls.ReportAsync(other.Client, token, orgId, 4, stripe.Clock.GetUtcNow()))
        {
            await AssertInvalidTokenAsync(there);
        }

        Assert.Equal(3, await CountReportsAsync(revoking.ConnectionString, orgId));
    }

    [Fact]
    public async Task RotateOnOneHost_OldTokenStopsThereAtOnceNewTokenWorksOnBothHosts()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var rotating = await BillingTestHost.StartAsync(stripe, "price_unused");
        await using var other = await BillingTestHost.StartAsync(stripe, "price_unused", rotating.ConnectionString, configure: o => o.Credentials.CacheDuration = TimeSpan.FromSeconds(5));
        var orgId = Guid.NewGuid();
        var oldToken = await InstanceCalls.RegisterAsync(rotating.Client, orgId);
        (await InstanceCalls.ReportAsync(rotating.Client, oldToken, orgId, 1, stripe.Clock.GetUtcNow())).Dispose();
        (await InstanceCalls.ReportAsync(other.Client, oldToken, orgId, 1, stripe.Clock.GetUtcNow())).Dispose();

        using var rotate = await rotating.Admin.PostAsync($"/api/admin/organizations/{orgId}/rotate-token", null);
        var newToken = (await InstanceCalls.ReadJsonAsync(rotate)).GetProperty("billing_token").GetString();

        using (var old = await InstanceCalls.ReportAsync(rotating.Client, oldToken, orgId, 2, stripe.Clock.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        }

        foreach (var host in new[] { rotating, other })
        {
            using var fresh = await InstanceCalls.ReportAsync(host.Client, newToken, orgId, 3, stripe.Clock.GetUtcNow());
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        stripe.Clock.Advance(TimeSpan.FromSeconds(5));
        using var expired = await InstanceCalls.ReportAsync(other.Client, oldToken, orgId, 4, stripe.Clock.GetUtcNow());
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
    }

    [Fact]
    public async Task UnknownTokens_AreNeverCached()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var orgId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(host.Client, orgId);
        for (var i = 0; i < 50; i++)
        {
            using var response = await InstanceCalls.ReportAsync(host.Client, $"vaultai_guess{i}", orgId, 1, stripe.Clock.GetUtcNow());
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        var cache = host.Services.GetRequiredService<Credentials.Internal.CredentialCache>();
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task CacheDurationOutOfRange_FailsAtStartNamingTheKey()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            BillingTestHost.StartAsync(stripe, "price_unused", configure: o => o.Credentials.CacheDuration = TimeSpan.FromHours(1)));
        Assert.Contains("VaultAI:Billing:Credentials:CacheDuration", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ColdLookup_OnAHostThatNeverSawTheToken_RejectsUnknownRevokedAndRotatedTokensWithProblemDetails()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var admin = await BillingTestHost.StartAsync(stripe, "price_unused");
        var revokedOrg = Guid.NewGuid();
        var revoked = await InstanceCalls.RegisterAsync(admin.Client, revokedOrg);
        (await admin.Admin.PostAsync($"/api/admin/organizations/{revokedOrg}/revoke-token", null)).EnsureSuccessStatusCode();
        var rotatedOrg = Guid.NewGuid();
        var rotated = await InstanceCalls.RegisterAsync(admin.Client, rotatedOrg);
        using var rotate = await admin.Admin.PostAsync($"/api/admin/organizations/{rotatedOrg}/rotate-token", null);
        var current = (await InstanceCalls.ReadJsonAsync(rotate)).GetProperty("billing_token").GetString();

        // A second host: every lookup below is its first for that token (credential and organization read together).
        await using var cold = await BillingTestHost.StartAsync(stripe, "price_unused", admin.ConnectionString);
        foreach (var (token, orgId) in new[] { ("vaultai_unknown", rotatedOrg), (revoked, revokedOrg), (rotated, rotatedOrg) })
        {
            using var response = await InstanceCalls.ReportAsync(cold.Client, token, orgId, 1, stripe.Clock.GetUtcNow());
            await AssertInvalidTokenAsync(response);
        }

        Assert.Equal(0, cold.Services.GetRequiredService<Credentials.Internal.CredentialCache>().Count);
        Assert.Equal(0, await CountReportsAsync(admin.ConnectionString, revokedOrg));
        Assert.Equal(0, await CountReportsAsync(admin.ConnectionString, rotatedOrg));

        // The current token of the rotated organization works on its first use there, and its report is stored once.
        using (var ok = await InstanceCalls.ReportAsync(cold.Client, current, rotatedOrg, 7, stripe.Clock.GetUtcNow()))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        Assert.Equal(1, await CountReportsAsync(admin.ConnectionString, rotatedOrg));
    }

    [Fact]
    public async Task LastUsed_IsWrittenByTheNextBatchNotByTheRequest()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var orgId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, orgId);
        var usedAt = stripe.Clock.GetUtcNow();
        using (var report = await InstanceCalls.ReportAsync(host.Client, token, orgId, 3, usedAt))
        {
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        }

        // The request only noted the use; nothing is written until the batch is due.
        Assert.Equal(1, host.Services.GetRequiredService<CredentialUseLog>().PendingCount);
        Assert.Null(await ReadLastUsedAsync(host.ConnectionString, orgId));

        stripe.Clock.Advance(CredentialUseLog.FlushInterval);
        var written = await WaitForLastUsedAsync(host.ConnectionString, orgId);
        Assert.InRange(written, usedAt - TimeSpan.FromMilliseconds(1), stripe.Clock.GetUtcNow() + TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, host.Services.GetRequiredService<CredentialUseLog>().PendingCount);
    }

    [Fact]
    public async Task LastUsed_WaitingUsesAreWrittenWhenTheHostStops()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var connectionString = host.ConnectionString;
        var orgs = new[] { Guid.NewGuid(), Guid.NewGuid() };
        try
        {
            foreach (var orgId in orgs)
            {
                var token = await InstanceCalls.RegisterAsync(host.Client, orgId);
                using var report = await InstanceCalls.ReportAsync(host.Client, token, orgId, 2, stripe.Clock.GetUtcNow());
                Assert.Equal(HttpStatusCode.OK, report.StatusCode);
            }

            Assert.Null(await ReadLastUsedAsync(connectionString, orgs[0]));
        }
        finally
        {
            await host.DisposeAsync();
        }

        foreach (var orgId in orgs)
        {
            Assert.NotNull(await ReadLastUsedAsync(connectionString, orgId));
        }
    }

    private static async Task AssertInvalidTokenAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await InstanceCalls.ReadJsonAsync(response);
        Assert.Equal("invalid_token", problem.GetProperty("code").GetString());
        Assert.Equal("Authorization", problem.GetProperty("field").GetString());
    }

    private static async Task<long> CountReportsAsync(string connectionString, Guid organizationId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM billing.usage_reports WHERE organization_id = @id", connection);
        command.Parameters.AddWithValue("id", organizationId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<DateTimeOffset?> ReadLastUsedAsync(string connectionString, Guid organizationId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT last_used_at FROM billing.instance_credentials WHERE organization_id = @id AND revoked_at IS NULL", connection);
        command.Parameters.AddWithValue("id", organizationId);
        var value = await command.ExecuteScalarAsync();
        return value is DateTime time ? new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)) : null;
    }

    /// <summary>The batch is written in the background once the clock says it is due; wait for it, up to a generous limit.</summary>
    private static async Task<DateTimeOffset> WaitForLastUsedAsync(string connectionString, Guid organizationId)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (await ReadLastUsedAsync(connectionString, organizationId) is { } written)
            {
                return written;
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException("'last used' was never written after the batch was due.");
    }
}
