namespace VaultAI.Billing.Client.Tests;

/// <summary>
/// A manual <see cref="TimeProvider"/> for these tests only (temporary: VaultAI.Billing.Testing will ship a public
/// ManualTimeProvider). Time moves only through <see cref="Advance"/>/<see cref="AdvanceTo"/>, which fire due timers in order.
/// </summary>
internal sealed class TestClock : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<ManualTimer> _timers = [];
    private readonly TimeZoneInfo _localTimeZone;
    private DateTimeOffset _now;

    public TestClock(DateTimeOffset start, TimeZoneInfo? localTimeZone = null)
    {
        _now = start;
        _localTimeZone = localTimeZone ?? TimeZoneInfo.Utc;
    }

    public override TimeZoneInfo LocalTimeZone => _localTimeZone;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _now;
        }
    }

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public void Advance(TimeSpan delta) => AdvanceTo(GetUtcNow() + delta);

    public void AdvanceTo(DateTimeOffset target)
    {
        for (var fired = 0; ; fired++)
        {
            if (fired > 100_000)
            {
                throw new InvalidOperationException("TestClock: a timer keeps firing: " + string.Join(", ", _timers.Select(t => $"{t.DueAt:o}/{t.Period}/{t.Callback.Method.DeclaringType}.{t.Callback.Method.Name}")));
            }

            ManualTimer? due;
            lock (_lock)
            {
                due = _timers.Where(t => t.DueAt is { } at && at <= target).OrderBy(t => t.DueAt).FirstOrDefault();
                if (due is null)
                {
                    if (target > _now)
                    {
                        _now = target;
                    }

                    return;
                }

                if (due.DueAt > _now)
                {
                    _now = due.DueAt!.Value;
                }

                due.DueAt = due.Period is { } period ? _now + period : null;
            }

            due.Fire();
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class ManualTimer(TestClock clock, TimerCallback callback, object? state) : ITimer
    {
        public TimerCallback Callback => callback;

        public DateTimeOffset? DueAt { get; set; }

        public TimeSpan? Period { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._lock)
            {
                clock._timers.Remove(this);
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    DueAt = null;
                    return true;
                }

                DueAt = clock._now + dueTime;
                Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period;
                clock._timers.Add(this);
                return true;
            }
        }

        public void Fire()
        {
            lock (clock._lock)
            {
                if (DueAt is null)
                {
                    clock._timers.Remove(this);
                }
            }

            callback(state);
        }

        public void Dispose()
        {
            lock (clock._lock)
            {
                DueAt = null;
                clock._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
