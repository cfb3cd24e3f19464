using System.Globalization;

namespace BillingHost.Pages;

/// <summary>How the dashboard shows dates and money (invariant, UTC).</summary>
public static class Format
{
    /// <summary>A date and time in UTC, or a dash.</summary>
    public static string When(DateTimeOffset? value) =>
        value is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC" : "—";

    /// <summary>A date in UTC, or a dash.</summary>
    public static string Day(DateTimeOffset? value) =>
        value is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "—";

    /// <summary>An amount in minor units with its currency.</summary>
    public static string Money(decimal minorUnits, string currency) =>
        (minorUnits / 100m).ToString("#,##0.00", CultureInfo.InvariantCulture) + " " + currency.ToUpperInvariant();

    /// <summary>A count, or a dash.</summary>
    public static string Count(long? value) => value?.ToString("#,##0", CultureInfo.InvariantCulture) ?? "—";
}
