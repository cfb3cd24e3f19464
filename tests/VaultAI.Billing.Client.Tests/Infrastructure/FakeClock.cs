using Microsoft.Extensions.Time.Testing;

namespace VaultAI.Billing.Client.Tests;

/// <summary>Shorthands for the <see cref="FakeTimeProvider"/> the tests move by hand.</summary>
internal static class FakeClock
{
    /// <summary>A fake clock at <paramref name="start"/> whose local time zone is <paramref name="localTimeZone"/> (UTC when omitted).</summary>
    public static FakeTimeProvider At(DateTimeOffset start, TimeZoneInfo? localTimeZone = null)
    {
        var clock = new FakeTimeProvider(start);
        clock.SetLocalTimeZone(localTimeZone ?? TimeZoneInfo.Utc);
        return clock;
    }

    /// <summary>Moves time forward to <paramref name="target"/>, firing the timers due by then; a target not in the future changes nothing.</summary>
    public static void AdvanceTo(this FakeTimeProvider clock, DateTimeOffset target)
    {
        if (target > clock.GetUtcNow())
        {
            clock.SetUtcNow(target);
        }
    }
}
