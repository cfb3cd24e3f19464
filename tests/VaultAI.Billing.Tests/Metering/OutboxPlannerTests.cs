using Microsoft.Extensions.Options;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Metering.Internal;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.Tests.Metering;

public sealed class OutboxPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Plan_LinkedOrganizationWithMeteredPlan_BuildsDeterministicEvent()
    {
        var report = Report(45, Now.AddHours(-2));
        var row = Planner().Plan(Linked(), report);

        Assert.NotNull(row);
        Assert.True(report.Billable);
        Assert.Equal("vaultai_active_users", row.EventName);
        Assert.Equal("cus_1", row.StripeCustomerId);
        Assert.Equal(45, row.Value);
        Assert.Equal($"vaultai-usage-{report.Id:N}", row.Identifier);
        Assert.True(row.Identifier.Length <= 100);
        Assert.Equal(report.OccurredAt, row.Timestamp);
        Assert.Equal(OutboxStatus.Pending, row.Status);
    }

    [Theory]
    [InlineData("pending", "not linked")]
    [InlineData("canceled", "canceled")]
    [InlineData("other-plan", "does not meter")]
    [InlineData("too-old", "35-day")]
    public void Plan_NotBillable_ReturnsNoRowAndSaysWhy(string situation, string reason)
    {
        var org = Linked();
        var report = Report(3, Now.AddHours(-1));
        switch (situation)
        {
            case "pending":
                org.StripeCustomerId = null;
                org.StripeSubscriptionId = null;
                break;
            case "canceled":
                org.Status = OrganizationStatus.Canceled;
                break;
            case "other-plan":
                org.PlanKey = "flat";
                break;
            case "too-old":
                report.OccurredAt = Now.AddDays(-36);
                break;
        }

        Assert.Null(Planner().Plan(org, report));
        Assert.False(report.Billable);
        Assert.Contains(reason, report.NotBillableReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_CountAggregation_SendsOneAndFutureTimestampIsClampedToNow()
    {
        var planner = Planner(MeterAggregation.Count);
        var row = planner.Plan(Linked(), Report(999, Now.AddMinutes(3)));
        Assert.Equal(1, row!.Value);
        Assert.Equal(Now, row.Timestamp);
    }

    private static OutboxPlanner Planner(MeterAggregation aggregation = MeterAggregation.Last)
    {
        var options = new VaultAIBillingOptions();
        options.Plans["self-hosted"] = new BillingPlan
        {
            MonthlyPriceId = "price_1",
            Metered = { new MeteredComponent { Metric = "active_users", MeterEventName = "vaultai_active_users", Aggregation = aggregation } },
        };
        options.Plans["flat"] = new BillingPlan { MonthlyPriceId = "price_2" };
        return new OutboxPlanner(new StaticOptionsMonitor(options), new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now));
    }

    private static Organization Linked() => new()
    {
        Id = Guid.NewGuid(),
        StripeCustomerId = "cus_1",
        StripeSubscriptionId = "sub_1",
        PlanKey = "self-hosted",
        Status = OrganizationStatus.Active,
    };

    private static UsageReport Report(long quantity, DateTimeOffset at) => new()
    {
        Id = Guid.NewGuid(),
        Metric = "active_users",
        Quantity = quantity,
        OccurredAt = at,
        ReceivedAt = Now,
    };

    private sealed class StaticOptionsMonitor(VaultAIBillingOptions value) : IOptionsMonitor<VaultAIBillingOptions>
    {
        public VaultAIBillingOptions CurrentValue => value;

        public VaultAIBillingOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<VaultAIBillingOptions, string?> listener) => null;
    }
}
