namespace VaultAI.Billing.Testing.Tests.Time;

public class ManualTimeProviderTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Advance_MovesNowAndTimestamp()
    {
        var clock = new ManualTimeProvider(Start);
        var before = clock.GetTimestamp();

        clock.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(Start.AddMinutes(5), clock.GetUtcNow());
        Assert.Equal(Start.AddMinutes(5), clock.Now);
        Assert.Equal(TimeSpan.FromMinutes(5), clock.GetElapsedTime(before));
        Assert.Equal(TimeZoneInfo.Utc, clock.LocalTimeZone);
    }

    [Fact]
    public void Advance_FiresTimersInDueOrderAtTheirDueTime()
    {
        var clock = new ManualTimeProvider(Start);
        var fired = new List<(string Name, DateTimeOffset At)>();
        using var late = clock.CreateTimer(_ => fired.Add(("late", clock.GetUtcNow())), null, TimeSpan.FromSeconds(30), Timeout.InfiniteTimeSpan);
        using var early = clock.CreateTimer(_ => fired.Add(("early", clock.GetUtcNow())), null, TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);
        using var never = clock.CreateTimer(_ => fired.Add(("never", clock.GetUtcNow())), null, TimeSpan.FromMinutes(5), Timeout.InfiniteTimeSpan);

        clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal([("early", Start.AddSeconds(10)), ("late", Start.AddSeconds(30))], fired);
        Assert.Equal(Start.AddMinutes(1), clock.GetUtcNow());
    }

    [Fact]
    public async Task TaskDelay_CompletesOnlyWhenTimeIsAdvancedPastIt()
    {
        var clock = new ManualTimeProvider(Start);
        var delay = Task.Delay(TimeSpan.FromHours(1), clock);

        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.False(delay.IsCompleted);

        clock.Advance(TimeSpan.FromMinutes(1));
        await delay.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(delay.IsCompletedSuccessfully);
    }

    [Fact]
    public void PeriodicTimer_FiresOncePerPeriodCrossed()
    {
        var clock = new ManualTimeProvider(Start);
        var times = new List<DateTimeOffset>();
        using var timer = clock.CreateTimer(_ => times.Add(clock.GetUtcNow()), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));

        clock.Advance(TimeSpan.FromSeconds(6));

        Assert.Equal([Start.AddSeconds(1), Start.AddSeconds(3), Start.AddSeconds(5)], times);
    }

    [Fact]
    public void Change_ReschedulesAndDisposeStopsTheTimer()
    {
        var clock = new ManualTimeProvider(Start);
        var count = 0;
        var timer = clock.CreateTimer(_ => count++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

        Assert.True(timer.Change(TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan));
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, count);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, count);

        timer.Change(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        timer.Dispose();
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, count);
        Assert.False(timer.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan));
        Assert.Equal(0, clock.ActiveTimerCount);
    }

    [Fact]
    public void Advance_Negative_Throws()
    {
        var clock = new ManualTimeProvider(Start);

        Assert.Throws<ArgumentOutOfRangeException>(() => clock.Advance(TimeSpan.FromTicks(-1)));
        Assert.Equal(Start, clock.GetUtcNow());
    }

    [Fact]
    public void Constructor_NonUtcOffset_IsConvertedToUtc()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 2, 0, 0, TimeSpan.FromHours(2)));

        Assert.Equal(TimeSpan.Zero, clock.GetUtcNow().Offset);
        Assert.Equal(Start, clock.GetUtcNow());
    }

    [Fact]
    public void SetUtcNow_ForwardFiresDueTimers()
    {
        var clock = new ManualTimeProvider(Start);
        var fired = false;
        using var timer = clock.CreateTimer(_ => fired = true, null, TimeSpan.FromDays(1), Timeout.InfiniteTimeSpan);

        clock.SetUtcNow(Start.AddDays(2));

        Assert.True(fired);
        Assert.Equal(Start.AddDays(2), clock.GetUtcNow());
    }

    [Fact]
    public void Callback_CanCreateTimersThatFireInTheSameAdvance()
    {
        var clock = new ManualTimeProvider(Start);
        var chain = new List<DateTimeOffset>();
        ITimer? second = null;
        using var first = clock.CreateTimer(
            _ => second = clock.CreateTimer(_ => chain.Add(clock.GetUtcNow()), null, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan),
            null,
            TimeSpan.FromSeconds(5),
            Timeout.InfiniteTimeSpan);

        clock.Advance(TimeSpan.FromSeconds(20));

        Assert.Equal([Start.AddSeconds(10)], chain);
        second?.Dispose();
    }

    [Fact]
    public async Task PeriodicTimerType_TicksWithTheManualClock()
    {
        var clock = new ManualTimeProvider(Start);
        using var periodic = new PeriodicTimer(TimeSpan.FromMinutes(1), clock);
        var tick = periodic.WaitForNextTickAsync().AsTask();

        Assert.False(tick.IsCompleted);
        clock.Advance(TimeSpan.FromMinutes(1));

        Assert.True(await tick.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void Advance_IsThreadSafeUnderConcurrentTimerCreation()
    {
        var clock = new ManualTimeProvider(Start);
        var fired = 0;
        var timers = new System.Collections.Concurrent.ConcurrentBag<ITimer>();
        Parallel.For(0, 200, i =>
        {
            timers.Add(clock.CreateTimer(_ => Interlocked.Increment(ref fired), null, TimeSpan.FromSeconds(1 + (i % 10)), Timeout.InfiniteTimeSpan));
            if (i % 20 == 0)
            {
                clock.Advance(TimeSpan.FromMilliseconds(1));
            }
        });

        clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(200, fired);
        foreach (var timer in timers)
        {
            timer.Dispose();
        }
    }
}
