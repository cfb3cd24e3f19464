using System.Net;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Entitlements;
using VaultAI.Billing.Entitlements.Internal;
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

        // All sixteen check at once: the five admitted stay in the endpoint until the other eleven have been refused.
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

    [Fact]
    public async Task RequireEntitlementWithReservation_RecordsInterleavedWithNewRequests_AdmitsExactlyTheLimitAndNeverRefusesBelowIt()
    {
        // Recording a reserved request's usage and giving its reservation back are one transaction. Were they two steps, a
        // check falling between them would count the unit twice and refuse although a unit is free: then a later request,
        // sent after that refusal was received, would still be admitted. Four clients loop against a limit of 8 while the
        // admitted requests record; several organizations, so the moment between record and release gets many chances.
        const int Limit = 8;
        const int Clients = 4;
        await using var world = await EntitlementWorld.StartAsync(configure: o => o.Plans[BillingTestHost.PlanKey].Limits["services"] = Limit);
        for (var round = 0; round < 6; round++)
        {
            var orgId = await world.RegisterAndLinkAsync();
            var refused = 0;
            var admitted = 0;
            var admittedAfterARefusal = 0;
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
            {
                // Each client goes on until it has been refused twice: every request after the first refusal must be refused.
                var refusals = 0;
                while (refusals < 2)
                {
                    var refusedBefore = Volatile.Read(ref refused) > 0;
                    using var response = await world.CreateServiceWithReservationAsync(orgId);
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        Interlocked.Increment(ref admitted);
                        if (refusedBefore)
                        {
                            Interlocked.Increment(ref admittedAfterARefusal);
                        }
                    }
                    else
                    {
                        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
                        Assert.Equal("quota_exceeded", (await InstanceCalls.ReadJsonAsync(response)).GetProperty("code").GetString());
                        refusals++;
                        Interlocked.Increment(ref refused);
                    }
                }
            }));

            Assert.Equal(0, admittedAfterARefusal);
            Assert.Equal(Limit, admitted);
            var (total, reserved) = await world.ServicesTotalAsync(orgId);
            Assert.Equal(Limit, total);
            Assert.Equal(0m, reserved);
        }
    }

    [Fact]
    public async Task RequireEntitlementWithReservation_EndpointFailsOrThrows_ReservationIsGivenBackAndNothingRecorded()
    {
        await using var world = await EntitlementWorld.StartAsync(configure: o => o.Plans[BillingTestHost.PlanKey].Limits["services"] = 1);
        var orgId = await world.RegisterAndLinkAsync();

        using (var failed = await world.SendReservedAsync("/helvetia/services/reserved-failing", orgId))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        }

        using (var thrown = await world.SendReservedAsync("/helvetia/services/reserved-throwing", orgId))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, thrown.StatusCode);
        }

        // Both gave their unit back and recorded nothing: the one unit of the limit is still free, then used.
        var (totalAfterFailures, reservedAfterFailures) = await world.ServicesTotalAsync(orgId);
        Assert.Equal(0m, totalAfterFailures);
        Assert.Equal(0m, reservedAfterFailures);
        using (var created = await world.CreateServiceWithReservationAsync(orgId))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var over = await world.CreateServiceWithReservationAsync(orgId);
        Assert.Equal(HttpStatusCode.PaymentRequired, over.StatusCode);
        var (total, reserved) = await world.ServicesTotalAsync(orgId);
        Assert.Equal(1m, total);
        Assert.Equal(0m, reserved);
    }

    [Fact]
    public async Task RequireEntitlementWithReservation_RetriedRequestWithTheSameIdempotencyKey_CountedOnceAndBothReservationsGivenBack()
    {
        await using var world = await EntitlementWorld.StartAsync(configure: o => o.Plans[BillingTestHost.PlanKey].Limits["services"] = 2);
        var orgId = await world.RegisterAndLinkAsync();

        // The retry's event is a duplicate: nothing is added, and its reservation is still given back in the same transaction.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var response = await world.CreateServiceWithReservationAsync(orgId, idempotencyKey: "create-service-42");
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        var (total, reserved) = await world.ServicesTotalAsync(orgId);
        Assert.Equal(1m, total);
        Assert.Equal(0m, reserved);
        using var second = await world.CreateServiceWithReservationAsync(orgId);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        using var third = await world.CreateServiceWithReservationAsync(orgId);
        Assert.Equal(HttpStatusCode.PaymentRequired, third.StatusCode);
    }

    [Fact]
    public async Task RequireEntitlementWithReservation_HostKilledBetweenReserveAndRelease_HeldUntilThePeriodEndsNeverPassedAndTheNextPeriodStartsWithoutIt()
    {
        await using var world = await EntitlementWorld.StartAsync(configure: o => o.Plans[BillingTestHost.PlanKey].Limits["services"] = 2);
        var orgId = await world.RegisterAndLinkAsync(trialDays: 4);

        // A host killed mid-request: the filter's own reserve step ran, and nothing after it (no record, no release).
        var service = (EntitlementService)world.Host.Services.GetRequiredService<IEntitlementService>();
        var (decision, reservation) = await service.CheckAndReserveAsync(orgId, "services", 1m, CancellationToken.None);
        Assert.True(decision.Allowed);
        Assert.NotNull(reservation);

        // Reservations have no expiry: the lost unit stays reserved for the rest of the period, so the limit of 2 is reached
        // after one recorded unit (one early), and never passed.
        using (var created = await world.CreateServiceWithReservationAsync(orgId))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var refused = await world.CreateServiceWithReservationAsync(orgId))
        {
            Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
        }

        var (total, reserved) = await world.ServicesTotalAsync(orgId);
        Assert.Equal(1m, total);
        Assert.Equal(1m, reserved);

        // The next period's total starts without it: both units of the limit can be used again.
        var trialEnd = (await world.OrganizationAsync(orgId)).TrialEnd!.Value;
        await world.AdvanceToAsync(trialEnd + TimeSpan.FromHours(1));
        for (var i = 0; i < 2; i++)
        {
            using var next = await world.CreateServiceWithReservationAsync(orgId);
            Assert.Equal(HttpStatusCode.Created, next.StatusCode);
        }

        var (nextTotal, nextReserved) = await world.ServicesTotalAsync(orgId);
        Assert.Equal(2m, nextTotal);
        Assert.Equal(0m, nextReserved);
    }
}
