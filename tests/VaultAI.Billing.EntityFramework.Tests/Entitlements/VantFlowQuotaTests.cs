using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Entitlements.Internal;
using VaultAI.Billing.Events;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Plans;

namespace VaultAI.Billing.EntityFramework.Tests.Entitlements;

/// <summary>Seed 004 (VantFlow): a monthly token quota answered with 402, its quota object and upgrade URL; the billing event log.</summary>
public sealed class VantFlowQuotaTests
{
    [Fact]
    public async Task TokensRecordedUpToTheQuota_NextRequestGets402WithExactlyTheQuotaObject()
    {
        await using var world = await EntitlementWorld.StartAsync(configure: o => o.Plans[BillingTestHost.PlanKey].Limits["ai_tokens"] = 10_000);
        var orgId = await world.RegisterAndLinkAsync();

        foreach (var tokens in new[] { 4_000L, 4_000L, 2_000L })
        {
            using var ok = await world.ChatAsync(orgId, tokens);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var refused = await world.ChatAsync(orgId, 1);

        Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
        var problem = await InstanceCalls.ReadJsonAsync(refused);
        Assert.Equal("quota_exceeded", problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        Assert.Equal($"https://app.example.com/billing?org={orgId}", problem.GetProperty("upgrade_url").GetString());
        var quota = problem.GetProperty("quota");
        Assert.Equal(["metric", "current", "limit", "percentage"], quota.EnumerateObject().Select(p => p.Name));
        Assert.Equal("ai_tokens", quota.GetProperty("metric").GetString());
        Assert.Equal(10_000m, quota.GetProperty("current").GetDecimal());
        Assert.Equal(10_000m, quota.GetProperty("limit").GetDecimal());
        Assert.Equal(100m, quota.GetProperty("percentage").GetDecimal());

        // The refused request was not recorded; the recorded total is exactly what succeeded.
        await using var db = world.Host.CreateDbContext();
        Assert.Equal(10_000m, await db.UsageTotals.Where(t => t.OrganizationId == orgId && t.Metric == "ai_tokens").SumAsync(t => t.Total));
        Assert.Equal(3, await db.UsageEvents.CountAsync(e => e.OrganizationId == orgId && e.Metric == "ai_tokens"));
    }

    [Fact]
    public async Task SoftLimit_LetsTheRequestThroughAndLogsOverQuotaOnce()
    {
        await using var world = await EntitlementWorld.StartAsync();
        var orgId = await world.RegisterAndLinkAsync();
        var recorder = world.Host.Services.GetRequiredService<IUsageRecorder>();
        await recorder.RecordAsync(orgId, new UsageEvent("tokens-1", "ai_tokens", 90m, world.Stripe.Clock.GetUtcNow()));
        var service = world.Host.Services.GetRequiredService<EntitlementService>();
        var organization = await world.OrganizationAsync(orgId);
        var plan = world.Host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<VaultAIBillingOptions>>().Value.Plans[BillingTestHost.PlanKey];
        var soft = new PlanLimit("ai_tokens", 100m, Hard: false, Included: 0m);

        var first = await service.DecideAsync(organization, plan, soft, "ai_tokens", 50m, CancellationToken.None);
        var second = await service.DecideAsync(organization, plan, soft, "ai_tokens", 50m, CancellationToken.None);

        Assert.True(first.Allowed);
        Assert.True(first.OverQuota);
        Assert.Null(first.Code);
        Assert.Equal(90m, first.Quota.Current);
        Assert.Equal(90m, first.Quota.Percentage);
        Assert.True(second.Allowed);
        var overQuota = Assert.Single(await world.EventsAsync(orgId, BillingEventTypes.OverQuota));
        Assert.Equal(50m, overQuota.GetProperty("data").GetProperty("requested").GetDecimal());
        Assert.Single(await world.EventsAsync(orgId, BillingEventTypes.QuotaWarning));
        Assert.Empty(await world.EventsAsync(orgId, BillingEventTypes.QuotaReached));

        // A hard limit at the same point refuses.
        var hard = await service.DecideAsync(organization, plan, soft with { Hard = true }, "ai_tokens", 50m, CancellationToken.None);
        Assert.False(hard.Allowed);
        Assert.Equal("quota_exceeded", hard.Code);
    }

    [Fact]
    public async Task ThrowingHandler_IsRetriedWithBackoffAndSeesEachEventOnceWhenItSucceeds()
    {
        await using var world = await EntitlementWorld.StartAsync(failuresPerEvent: 1);
        var orgId = await world.RegisterAndLinkAsync();

        // Every event's first attempt fails; its retry is due a minute later on the billing clock, which stands still.
        await UntilAsync(world, rows => rows.Count >= 2 && rows.All(d => d.Attempts == 1 && d.LeaseOwner == null && d.Status == BillingEventDeliveryStatus.Pending));
        Assert.Empty(world.Handler.Handled);

        // Less than the lease (2 minutes), more than the first backoff.
        await world.AdvanceToAsync(world.Stripe.Clock.GetUtcNow() + TimeSpan.FromSeconds(90));
        await UntilAsync(world, rows => rows.All(d => d.Status == BillingEventDeliveryStatus.Delivered));

        var handled = world.Handler.Handled.Where(e => e.OrganizationId == orgId).ToList();
        Assert.Contains(handled, e => e.Type == BillingEventTypes.Registered);
        Assert.Contains(handled, e => e.Type == BillingEventTypes.Linked);
        Assert.Equal(handled.Count, handled.Select(e => e.Id).Distinct().Count());
        Assert.All(handled, e => Assert.Equal(2, world.Handler.Calls[e.Id]));
        Assert.All(await DeliveriesAsync(world, orgId), d => Assert.Equal(2, d.Attempts));
    }

    private static async Task UntilAsync(EntitlementWorld world, Func<List<BillingEventDelivery>, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            await using var db = world.Host.CreateDbContext();
            var rows = await db.BillingEventDeliveries.ToListAsync();
            if (condition(rows))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "Deliveries: " + string.Join(", ", rows.Select(r => $"{r.Status}/{r.Attempts}/{r.LeaseOwner is not null}")));
            await Task.Delay(50);
        }
    }

    private static async Task<List<BillingEventDelivery>> DeliveriesAsync(EntitlementWorld world, Guid orgId)
    {
        await using var db = world.Host.CreateDbContext();
        var ids = await db.BillingEvents.Where(e => e.OrganizationId == orgId).Select(e => e.Id).ToListAsync();
        return await db.BillingEventDeliveries.Where(d => ids.Contains(d.EventId)).ToListAsync();
    }

    [Fact]
    public async Task AdminEvents_FiltersByOrganizationAndTypeAndPages_AndRefusesBadInputWith400()
    {
        await using var world = await EntitlementWorld.StartAsync();
        var first = await world.RegisterAndLinkAsync();
        var second = await world.RegisterAndLinkAsync();

        using var all = await world.Host.Admin.GetAsync("/api/admin/events?type=registered&take=1");
        var page = await InstanceCalls.ReadJsonAsync(all);
        Assert.Equal(2, page.GetProperty("matching").GetInt32());
        Assert.Single(page.GetProperty("events").EnumerateArray());

        var linked = Assert.Single(await world.EventsAsync(second, BillingEventTypes.Linked));
        Assert.Equal(second, linked.GetProperty("organization_id").GetGuid());
        Assert.Equal("admin:test-admin", linked.GetProperty("actor").GetString());
        Assert.DoesNotContain(await world.EventsAsync(first), e => e.GetProperty("organization_id").GetGuid() == second);

        foreach (var (query, field) in new[] { ("organization_id=nope", "organization_id"), ("type=DROP%20TABLE", "type"), ("take=0", "take"), ("skip=-1", "skip") })
        {
            using var bad = await world.Host.Admin.GetAsync($"/api/admin/events?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal(field, (await InstanceCalls.ReadJsonAsync(bad)).GetProperty("field").GetString());
        }
    }
}
