using VaultAI.Billing.EntityFramework.Internal;

namespace VaultAI.Billing.EntityFramework.Tests.Metering;

/// <summary>The per-host coalescing of an organization's last-seen fields: one owner at a time, the newest value survives.</summary>
public sealed class ReportActivityTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Deposit_WhileAnOwnerWrites_IsLeftForItAndOnlyTheNewestSurvives()
    {
        var activity = new ReportActivity();
        var org = Guid.NewGuid();
        Assert.True(activity.TryAcquire(org));
        Assert.False(activity.TryAcquire(org));

        Assert.False(activity.Deposit(org, new LastSeen(T0.AddSeconds(2), 20, "Acme", null)));
        Assert.False(activity.Deposit(org, new LastSeen(T0.AddSeconds(1), 10, null, "acme.example")));

        var pending = activity.TakeOrRelease(org);
        Assert.Equal(new LastSeen(T0.AddSeconds(2), 20, "Acme", "acme.example", T0.AddSeconds(2)), pending);
        Assert.Null(activity.TakeOrRelease(org));
        Assert.True(activity.TryAcquire(org));
    }

    [Fact]
    public void Deposit_WithNoOwner_MakesTheCallerTheOwnerWithItsValuePending()
    {
        var activity = new ReportActivity();
        var org = Guid.NewGuid();
        var seen = new LastSeen(T0, 7, null, null);

        Assert.True(activity.Deposit(org, seen));
        Assert.False(activity.TryAcquire(org));
        Assert.Equal(seen, activity.TakeOrRelease(org));
        Assert.Null(activity.TakeOrRelease(org));
    }

    [Fact]
    public void Newest_KeepsTheCountOfTheLatestOccurredReport_EvenWhenAnOlderDayArrivesLast()
    {
        var today = new LastSeen(T0, 50, null, null, T0);
        var lateOldDay = new LastSeen(T0.AddMinutes(5), 30, "Acme", null, T0.AddDays(-90));

        var merged = LastSeen.Newest(today, lateOldDay);

        Assert.Equal(T0.AddMinutes(5), merged.ReceivedAt);
        Assert.Equal(50, merged.Quantity);
        Assert.Equal(T0, merged.OccurredAt);
        Assert.Equal("Acme", merged.Name);
    }
}
