using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;

namespace VaultAI.Billing.Tests.Metering;

public sealed class UsageRollupTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset PeriodStart = new(2026, 11, 3, 9, 37, 13, TimeSpan.Zero);

    private static readonly UsageRollup Rollup = new(
        new Dictionary<string, MetricDefinition> { ["call_minutes"] = new() { Decimals = 2, MeterEventName = "call_minutes" } },
        TimeSpan.FromHours(1),
        TimeSpan.FromMinutes(5),
        Now);

    [Fact]
    public void PartStart_PeriodStartingInsideTheWindow_SplitsTheWindowAtTheBoundary()
    {
        var window = new DateTimeOffset(2026, 11, 3, 9, 0, 0, TimeSpan.Zero);

        Assert.Equal(window, Rollup.PartStart(PeriodStart.AddMinutes(-1), new DateTimeOffset(2026, 10, 3, 9, 37, 13, TimeSpan.Zero)));
        Assert.Equal(PeriodStart, Rollup.PartStart(PeriodStart.AddMinutes(1), PeriodStart));
        Assert.Equal(window.AddHours(1), Rollup.PartStart(PeriodStart.AddHours(1), PeriodStart));
    }

    [Fact]
    public void IdentifierPrefix_LongestMetricKey_StaysWithinStripesHundredCharacters()
    {
        var prefix = UsageRollup.IdentifierPrefix(Guid.NewGuid(), new string('m', 200), PeriodStart);

        Assert.True((prefix + "999999").Length <= 100, prefix);
        Assert.EndsWith($":{PeriodStart.ToUnixTimeSeconds()}:", prefix, StringComparison.Ordinal);
    }

    [Fact]
    public void NotBillableReason_BeforeTheLinkPendingCanceledOrTooOld_SaysWhy_InsideTheSubscriptionNull()
    {
        var linked = Linked();

        Assert.Null(Rollup.NotBillableReason(linked, "call_minutes", PeriodStart.AddMinutes(1)));
        Assert.Null(Rollup.NotBillableReason(linked, "tracked_only", PeriodStart.AddDays(-1)));
        Assert.Equal(UsageRollup.NoSubscriptionReason, Rollup.NotBillableReason(linked, "call_minutes", PeriodStart.AddSeconds(-1)));
        Assert.Equal(UsageRollup.NoSubscriptionReason, Rollup.NotBillableReason(new Organization { Id = Guid.NewGuid() }, "call_minutes", Now));
        var canceled = Linked();
        canceled.Status = OrganizationStatus.Canceled;
        Assert.Equal(UsageRollup.CanceledReason, Rollup.NotBillableReason(canceled, "call_minutes", Now));
        Assert.Equal(UsageRollup.OutsideStripeWindowReason, Rollup.NotBillableReason(linked, "call_minutes", Now.AddDays(-36)));
    }

    [Fact]
    public void UsagePeriodFor_AfterTheCurrentPeriodBeforeTheRenewalIsKnown_IsTheNextPeriod()
    {
        var organization = Linked();
        var end = organization.CurrentPeriodEnd!.Value;

        Assert.Equal(new UsagePeriod(PeriodStart, end), UsagePeriod.For(organization, end.AddSeconds(-1)));
        Assert.Equal(new UsagePeriod(end, end + (end - PeriodStart)), UsagePeriod.For(organization, end));
        Assert.Equal(new UsagePeriod(new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero)), UsagePeriod.For(organization, PeriodStart.AddDays(-20)));
    }

    private static Organization Linked() => new()
    {
        Id = Guid.NewGuid(),
        StripeCustomerId = "cus_1",
        StripeSubscriptionId = "sub_1",
        Status = OrganizationStatus.Active,
        LinkedAt = PeriodStart.AddMilliseconds(400),
        CurrentPeriodStart = PeriodStart,
        CurrentPeriodEnd = PeriodStart.AddMonths(1),
    };
}
