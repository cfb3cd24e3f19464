using VaultAI.Billing.Testing.Time.Internal;

namespace VaultAI.Billing.Testing;

/// <summary>
/// A <see cref="TimeProvider"/> whose time moves only when told to. Timers created through
/// <see cref="CreateTimer"/> (and so <c>Task.Delay(x, provider)</c>) fire, in due order, when
/// <see cref="Advance"/> or <see cref="SetUtcNow"/> moves the clock past their due time. Thread-safe.
/// </summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now;
    private long _timerSequence;

    /// <summary>Creates a clock standing at <paramref name="start"/>.</summary>
    /// <param name="start">The initial time; it is converted to UTC.</param>
    public ManualTimeProvider(DateTimeOffset start)
    {
        _now = start.ToUniversalTime();
    }

    /// <summary>Gets the current time of this clock (UTC).</summary>
    public DateTimeOffset Now
    {
        get
        {
            lock (_gate)
            {
                return _now;
            }
        }
    }

    /// <summary>Gets UTC: a manual clock has no local time zone.</summary>
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <summary>Gets the frequency of <see cref="GetTimestamp"/>: ticks per second.</summary>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => Now;

    /// <summary>Gets a timestamp that follows this clock, so elapsed-time measurements follow it too.</summary>
    /// <returns>The current time in ticks.</returns>
    public override long GetTimestamp() => Now.UtcTicks;

    /// <summary>Moves the clock forward and fires every timer that becomes due, in due order.</summary>
    /// <param name="by">How far to move; must not be negative.</param>
    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        DateTimeOffset target;
        lock (_gate)
        {
            target = _now + by;
        }

        MoveTo(target);
    }

    /// <summary>
    /// Sets the clock. Moving forward fires due timers in order; moving backwards is allowed
    /// (timers then simply fire later).
    /// </summary>
    /// <param name="value">The new time; converted to UTC.</param>
    public void SetUtcNow(DateTimeOffset value) => MoveTo(value.ToUniversalTime());

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Gets the number of armed timers (for diagnostics and tests).</summary>
    internal int ActiveTimerCount
    {
        get
        {
            lock (_gate)
            {
                return _timers.Count;
            }
        }
    }

    internal void Schedule(ManualTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        bool fireNow;
        lock (_gate)
        {
            _timers.Remove(timer);
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                return;
            }

            ArgumentOutOfRangeException.ThrowIfLessThan(dueTime, TimeSpan.Zero);
            timer.DueTime = _now + dueTime;
            timer.Period = period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero ? null : period;
            timer.Sequence = ++_timerSequence;
            _timers.Add(timer);
            fireNow = dueTime == TimeSpan.Zero;
        }

        if (fireNow)
        {
            // A zero due time fires at once, like a system timer would on the thread pool.
            MoveTo(null);
        }
    }

    internal void Unschedule(ManualTimer timer)
    {
        lock (_gate)
        {
            _timers.Remove(timer);
        }
    }

    private void MoveTo(DateTimeOffset? target)
    {
        while (true)
        {
            ManualTimer? next = null;
            lock (_gate)
            {
                var limit = target ?? _now;
                foreach (var timer in _timers)
                {
                    if (timer.DueTime <= limit &&
                        (next is null || timer.DueTime < next.DueTime ||
                         (timer.DueTime == next.DueTime && timer.Sequence < next.Sequence)))
                    {
                        next = timer;
                    }
                }

                if (next is null)
                {
                    if (target is { } t)
                    {
                        _now = t;
                    }

                    return;
                }

                if (next.DueTime > _now)
                {
                    _now = next.DueTime;
                }

                if (next.Period is { } period)
                {
                    next.DueTime += period;
                    next.Sequence = ++_timerSequence;
                }
                else
                {
                    _timers.Remove(next);
                }
            }

            // Callbacks run outside the lock so they may create, change or dispose timers.
            next.Fire();
        }
    }
}
