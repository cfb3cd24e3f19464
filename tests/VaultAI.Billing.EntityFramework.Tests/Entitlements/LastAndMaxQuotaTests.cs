using System.Net;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Entitlements;

/// <summary>For a <c>Last</c> or <c>Max</c> metric, the value asked about is compared with the limit itself, not added to the total.</summary>
public sealed class LastAndMaxQuotaTests
{
    [Theory]
    [InlineData("active_seats", MetricAggregation.Last)]
    [InlineData("storage_gb", MetricAggregation.Max)]
    public async Task Check_LastOrMaxMetric_ComparesTheNewValueWithTheLimit(string metric, MetricAggregation aggregation)
    {
        await using var world = await EntitlementWorld.StartAsync(configure: o =>
        {
            o.Metrics[metric] = new MetricDefinition { DisplayName = metric, Unit = metric, Aggregation = aggregation };
            o.Plans[BillingTestHost.PlanKey].Limits[metric] = 50;
        });
        var orgId = await world.RegisterAndLinkAsync();
        // Now, not a few seconds ago: the subscription's period starts when the emulator created it, moments before, and
        // an event from before that start would belong to no billing period of this subscription.
        await using (var scope = world.Host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<IUsageRecorder>()
                .RecordAsync(orgId, new UsageEvent($"{metric}-30", metric, 30m, DateTimeOffset.UtcNow));
        }

        var token = await RotateAsync(world, orgId);

        // 30 recorded; 40 is the new value (not 70), within the limit of 50.
        using var within = await CheckAsync(world, orgId, token, metric, 40);
        Assert.Equal(HttpStatusCode.OK, within.StatusCode);

        using var above = await CheckAsync(world, orgId, token, metric, 51);
        Assert.Equal(HttpStatusCode.PaymentRequired, above.StatusCode);
        var quota = (await InstanceCalls.ReadJsonAsync(above)).GetProperty("quota");
        Assert.Equal(30m, quota.GetProperty("current").GetDecimal());
        Assert.Equal(50m, quota.GetProperty("limit").GetDecimal());
        Assert.Equal(60m, quota.GetProperty("percentage").GetDecimal());
    }

    private static Task<HttpResponseMessage> CheckAsync(EntitlementWorld world, Guid orgId, string token, string metric, int quantity) =>
        InstanceCalls.SendAsync(world.Host.Client, HttpMethod.Post, $"/api/organizations/{orgId}/entitlements/check", token, $$"""{"metric":"{{metric}}","quantity":{{quantity}}}""");

    private static async Task<string> RotateAsync(EntitlementWorld world, Guid orgId)
    {
        using var rotate = await world.Host.Admin.PostAsync($"/api/admin/organizations/{orgId}/rotate-token", null);
        rotate.EnsureSuccessStatusCode();
        return (await InstanceCalls.ReadJsonAsync(rotate)).GetProperty("billing_token").GetString()!;
    }
}
