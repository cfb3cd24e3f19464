using VaultAI.Billing.Entitlements;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Plans;

namespace VaultAI.Billing.Tests.Entitlements;

public sealed class EntitlementRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly BillingPlan Plan = new() { GraceDays = 7 };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Evaluate_Pending_FollowsPendingEntitled(bool pendingEntitled)
    {
        var state = EntitlementRules.Evaluate(new Organization { Status = OrganizationStatus.Pending }, null, new EntitlementOptions { PendingEntitled = pendingEntitled }, Now);

        Assert.Equal(pendingEntitled, state.Entitled);
        Assert.Equal("pending_link", state.Reason);
    }

    [Fact]
    public void Evaluate_PastDueWithinGraceDays_IsEntitledUntilTheGraceEnds()
    {
        var organization = new Organization { Status = OrganizationStatus.PastDue, PastDueSince = Now.AddDays(-7).AddMinutes(1) };

        var state = EntitlementRules.Evaluate(organization, Plan, new EntitlementOptions(), Now);

        Assert.True(state.Entitled);
        Assert.Equal(EntitlementState.GracePeriod, state.Reason);
        Assert.Equal(Now.AddMinutes(1), state.GracePeriodEnd);
    }

    [Fact]
    public void Evaluate_PastDueBeyondGraceDays_IsSuspended()
    {
        var organization = new Organization { Status = OrganizationStatus.PastDue, PastDueSince = Now.AddDays(-7) };

        var state = EntitlementRules.Evaluate(organization, Plan, new EntitlementOptions(), Now);

        Assert.False(state.Entitled);
        Assert.True(state.IsSuspended);
    }

    [Fact]
    public void Evaluate_PastDueWithoutPastDueSince_CountsFromTheLastUpdateNotFromNow()
    {
        // A row written before every path recorded PastDueSince must still leave its grace period one day.
        var organization = new Organization { Status = OrganizationStatus.PastDue, UpdatedAt = Now.AddDays(-30) };

        Assert.True(EntitlementRules.Evaluate(organization, Plan, new EntitlementOptions(), Now).IsSuspended);
    }

    [Theory]
    [InlineData(OrganizationStatus.Canceled)]
    [InlineData(OrganizationStatus.Unpaid)]
    [InlineData(OrganizationStatus.Incomplete)]
    [InlineData(OrganizationStatus.Paused)]
    public void Evaluate_InactiveStatus_IsNotEntitledAndNotSuspended(string status)
    {
        var state = EntitlementRules.Evaluate(new Organization { Status = status }, Plan, new EntitlementOptions(), Now);

        Assert.False(state.Entitled);
        Assert.False(state.IsSuspended);
        Assert.Equal(status, state.Reason);
    }
}
