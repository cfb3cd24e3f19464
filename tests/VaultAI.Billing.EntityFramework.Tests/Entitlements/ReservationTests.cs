using System.Net;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Entitlements;

/// <summary><c>RequireEntitlement(..., reserve: true)</c>: concurrent requests cannot pass a hard limit together.</summary>
public sealed class ReservationTests
{
    [Fact]
    public async Task RequireEntitlementWithReservation_SixteenConcurrentRequestsAgainstALimitOfFive_ExactlyFiveSucceed()
    {
        await using var world = await EntitlementWorld.StartAsync(configure: o => o.Plans[BillingTestHost.PlanKey].Limits["services"] = 5);
        var orgId = await world.RegisterAndLinkAsync();

        // All sixteen check at once: the five admitted stay in the endpoint until the other eleven have been refused. (Once an
        // admitted request records its usage and before it gives its reservation back, its unit counts twice: a request
        // arriving in that moment is refused though a unit may be free. Conservative, never over the limit; not tested here.)
        var responses = await world.SendTogetherWithReservationAsync(orgId, 16);
        var statuses = responses.Select(r => r.StatusCode).ToList();
        foreach (var response in responses)
        {
            response.Dispose();
        }

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(11, statuses.Count(s => s == HttpStatusCode.PaymentRequired));

        // Exactly five recorded, and every reservation given back: the next request is refused on the recorded total alone.
        using var usage = await world.Host.Admin.GetAsync($"/api/admin/organizations/{orgId}/usage");
        var services = (await InstanceCalls.ReadJsonAsync(usage)).GetProperty("usage").EnumerateArray().Single(m => m.GetProperty("metric").GetString() == "services");
        Assert.Equal(5m, services.GetProperty("current").GetDecimal());
        using var next = await world.CreateServiceWithReservationAsync(orgId);
        Assert.Equal(HttpStatusCode.PaymentRequired, next.StatusCode);
        var quota = (await InstanceCalls.ReadJsonAsync(next)).GetProperty("quota");
        Assert.Equal(5m, quota.GetProperty("current").GetDecimal());
        Assert.Equal(5m, quota.GetProperty("limit").GetDecimal());
    }

    [Fact]
    public async Task RequireEntitlementWithReservation_BelowTheLimit_ReleasesWhatItReserved()
    {
        await using var world = await EntitlementWorld.StartAsync(configure: o => o.Plans[BillingTestHost.PlanKey].Limits["services"] = 2);
        var orgId = await world.RegisterAndLinkAsync();

        // One at a time: each reservation is given back once its usage is recorded, so both units can be used.
        for (var i = 0; i < 2; i++)
        {
            using var created = await world.CreateServiceWithReservationAsync(orgId);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var third = await world.CreateServiceWithReservationAsync(orgId);
        Assert.Equal(HttpStatusCode.PaymentRequired, third.StatusCode);
        Assert.Equal("quota_exceeded", (await InstanceCalls.ReadJsonAsync(third)).GetProperty("code").GetString());
    }
}
