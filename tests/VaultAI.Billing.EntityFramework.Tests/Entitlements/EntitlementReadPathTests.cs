using System.Net;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Entitlements;

/// <summary>
/// On PostgreSQL the check's read runs a prepared statement on a pooled Npgsql connection (no context per request): it must
/// still see each new recorded total at once.
/// </summary>
public sealed class EntitlementReadPathTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PostgreSql_ManyChecksInARow_EachSeesTheTotalRecordedBeforeIt(bool storeGivenADataSource)
    {
        // With a connection string the read has a data source of its own; given a data source, the store's context knows no
        // string and the read falls back to a clone of the context's connection.
        await using var world = await EntitlementWorld.StartAsync(configure: o => o.Plans[BillingTestHost.PlanKey].Limits["ai_tokens"] = 20, npgsqlDataSource: storeGivenADataSource);
        var orgId = await world.RegisterAndLinkAsync();

        // Twenty checks, each after the previous one's usage was recorded: a read that lagged one request behind, or ran on
        // a connection left in another state, would let the 21st through.
        for (var i = 0; i < 20; i++)
        {
            using var ok = await world.ChatAsync(orgId, 1);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var refused = await world.ChatAsync(orgId, 1);
        Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
        var quota = (await InstanceCalls.ReadJsonAsync(refused)).GetProperty("quota");
        Assert.Equal(20m, quota.GetProperty("current").GetDecimal());
        Assert.Equal(100m, quota.GetProperty("percentage").GetDecimal());
    }
}
