using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Entitlements;

/// <summary>
/// The guarded endpoints on the SQLite store, as the sample host's embedded mode builds it: <c>RequireEntitlement</c>
/// with <c>RecordUsage</c> answers the first request (and a first burst) without a server error, and records each success once.
/// </summary>
public sealed class SqliteEntitlementTests : IAsyncLifetime
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"vaultai-billing-{Guid.NewGuid():N}.db");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        File.Delete(_file);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Sqlite_RequireEntitlementAndRecordUsage_FirstRequestIsCreatedAndRecorded()
    {
        await using var world = await EntitlementWorld.StartAsync(sqliteFile: _file, configure: o => o.Plans[BillingTestHost.PlanKey].Limits["services"] = 5);
        var orgId = await world.RegisterAndLinkAsync();

        using (var first = await world.CreateServiceAsync(orgId))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        using (var second = await world.CreateServiceAsync(orgId))
        {
            Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        }

        Assert.Equal(2m, await TotalAsync(world, orgId, "services"));
    }

    [Fact]
    public async Task Sqlite_RequireEntitlementWithReservation_ConcurrentRequestsAndAFailure_ExactlyTheLimitRecordedNothingLeftReserved()
    {
        await using var world = await EntitlementWorld.StartAsync(sqliteFile: _file, configure: o => o.Plans[BillingTestHost.PlanKey].Limits["services"] = 3);
        var orgId = await world.RegisterAndLinkAsync();

        using (var failed = await world.SendReservedAsync("/helvetia/services/reserved-failing", orgId))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        }

        // Eight at once against a limit of 3: each success records and gives back its reservation in one transaction.
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => world.CreateServiceWithReservationAsync(orgId)));
        var statuses = responses.Select(r => r.StatusCode).ToList();
        foreach (var response in responses)
        {
            response.Dispose();
        }

        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.PaymentRequired));
        var (total, reserved) = await world.ServicesTotalAsync(orgId);
        Assert.Equal(3m, total);
        Assert.Equal(0m, reserved);
    }

    [Fact]
    public async Task Sqlite_PolicyStyleOverload_FirstRequestIsOkAndRecordsTheComputedCost()
    {
        await using var world = await EntitlementWorld.StartAsync(sqliteFile: _file, configure: o => o.Plans[BillingTestHost.PlanKey].Limits["ai_tokens"] = 1000);
        var orgId = await world.RegisterAndLinkAsync();

        using (var first = await world.ChatAsync(orgId, 300))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using (var refused = await world.ChatAsync(orgId, 701))
        {
            Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
        }

        Assert.Equal(300m, await TotalAsync(world, orgId, "ai_tokens"));
    }

    [Fact]
    public async Task Sqlite_ConcurrentFirstBurst_EveryRequestSucceedsAndEachIsRecordedOnce()
    {
        await using var world = await EntitlementWorld.StartAsync(sqliteFile: _file);
        var orgId = await world.RegisterAndLinkAsync();

        // No request has reached the guarded endpoints yet: these eight are the very first, at once, on both overloads.
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => i % 2 == 0 ? world.CreateServiceAsync(orgId) : world.ChatAsync(orgId, 10)));
        try
        {
            Assert.All(responses, r => Assert.True(r.IsSuccessStatusCode, $"{(int)r.StatusCode}: {r.Content.ReadAsStringAsync().Result}"));
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }

        Assert.Equal(4m, await TotalAsync(world, orgId, "services"));
        Assert.Equal(40m, await TotalAsync(world, orgId, "ai_tokens"));
    }

    private static async Task<decimal> TotalAsync(EntitlementWorld world, Guid orgId, string metric)
    {
        await using var db = world.Host.CreateDbContext();
        var totals = await db.UsageTotals.Where(t => t.OrganizationId == orgId && t.Metric == metric).Select(t => t.Total).ToListAsync();
        return totals.Sum();
    }
}
