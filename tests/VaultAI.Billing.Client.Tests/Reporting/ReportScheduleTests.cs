namespace VaultAI.Billing.Client.Tests;

public sealed class ReportScheduleTests
{
    private static readonly TimeZoneInfo Plus2 = TimeZoneInfo.CreateCustomTimeZone("Test+02", TimeSpan.FromHours(2), "Test+02", "Test+02");
    private static readonly TimeOnly ThreeAm = new(3, 0);
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(30);

    [Fact]
    public void Next_BeforeTimeOfDay_IsTodayAtLocalTimeWithinJitter()
    {
        var now = new DateTimeOffset(2026, 11, 3, 0, 30, 0, TimeSpan.Zero); // 02:30 local

        var (day, runAt) = ReportSchedule.Next(now, null, ThreeAm, Window, Plus2, new Random(1));

        Assert.Equal(new DateOnly(2026, 11, 3), day);
        Assert.InRange(runAt, new DateTimeOffset(2026, 11, 3, 1, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 3, 1, 30, 0, TimeSpan.Zero));
    }

    [Fact]
    public void Next_AfterTimeOfDayAndTodayNotReported_RunsNow()
    {
        var now = new DateTimeOffset(2026, 11, 3, 10, 0, 0, TimeSpan.Zero);

        var (day, runAt) = ReportSchedule.Next(now, new DateOnly(2026, 11, 2), ThreeAm, Window, Plus2, new Random(1));

        Assert.Equal(new DateOnly(2026, 11, 3), day);
        Assert.Equal(now, runAt);
    }

    [Fact]
    public void Next_TodayAlreadyReported_IsTomorrow()
    {
        var now = new DateTimeOffset(2026, 11, 3, 1, 10, 0, TimeSpan.Zero);

        var (day, runAt) = ReportSchedule.Next(now, new DateOnly(2026, 11, 3), ThreeAm, Window, Plus2, new Random(1));

        Assert.Equal(new DateOnly(2026, 11, 4), day);
        Assert.InRange(runAt, new DateTimeOffset(2026, 11, 4, 1, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 4, 1, 30, 0, TimeSpan.Zero));
    }

    [Fact]
    public void Next_ManySeeds_JitterStaysInsideWindowAndVaries()
    {
        var now = new DateTimeOffset(2026, 11, 2, 22, 0, 0, TimeSpan.Zero); // midnight local
        var random = new Random(7);
        var scheduled = new DateTimeOffset(2026, 11, 3, 1, 0, 0, TimeSpan.Zero);

        var runs = Enumerable.Range(0, 200).Select(_ => ReportSchedule.Next(now, null, ThreeAm, Window, Plus2, random).RunAt).ToList();

        Assert.All(runs, r => Assert.True(r >= scheduled && r < scheduled + Window, r.ToString("o")));
        Assert.True(runs.Distinct().Count() > 100);
    }

    [Fact]
    public void Next_ZeroMaxDelay_IsExactlyTheTimeOfDay()
    {
        var now = new DateTimeOffset(2026, 11, 2, 22, 0, 0, TimeSpan.Zero);

        var (_, runAt) = ReportSchedule.Next(now, null, ThreeAm, TimeSpan.Zero, Plus2, new Random(1));

        Assert.Equal(new DateTimeOffset(2026, 11, 3, 1, 0, 0, TimeSpan.Zero), runAt);
    }
}
