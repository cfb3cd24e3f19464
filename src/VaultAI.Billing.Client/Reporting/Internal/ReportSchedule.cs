namespace VaultAI.Billing.Client;

/// <summary>When the next daily report is due: the configured local time of day plus a random delay.</summary>
internal static class ReportSchedule
{
    /// <summary>
    /// Returns the day the next report is for and when to take it. Today's report is due if it was not taken yet
    /// (immediately when the scheduled moment has passed, for example after a restart at noon); otherwise tomorrow's.
    /// </summary>
    public static (DateOnly Day, DateTimeOffset RunAt) Next(
        DateTimeOffset now,
        DateOnly? lastReportedDay,
        TimeOnly timeOfDay,
        TimeSpan maxRandomDelay,
        TimeZoneInfo timeZone,
        Random random)
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, timeZone).DateTime);
        var day = lastReportedDay is { } last && last >= today ? last.AddDays(1) : today;
        var jitter = maxRandomDelay > TimeSpan.Zero
            ? TimeSpan.FromSeconds(Math.Floor(random.NextDouble() * maxRandomDelay.TotalSeconds))
            : TimeSpan.Zero;
        var runAt = AtLocalTime(day, timeOfDay, timeZone) + jitter;
        return (day, runAt < now ? now : runAt);
    }

    public static DateTimeOffset AtLocalTime(DateOnly day, TimeOnly timeOfDay, TimeZoneInfo timeZone)
    {
        var local = day.ToDateTime(timeOfDay, DateTimeKind.Unspecified);
        if (timeZone.IsInvalidTime(local))
        {
            // The clock skips this hour (spring forward): run just after the gap.
            local = local.AddHours(1);
        }

        return new DateTimeOffset(local, timeZone.GetUtcOffset(local)).ToUniversalTime();
    }
}
