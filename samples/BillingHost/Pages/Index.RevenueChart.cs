using System.Globalization;
using VaultAI.Billing.Plans;

namespace BillingHost.Pages;

/// <summary>
/// An inline SVG chart of one currency's MRR and potential MRR per day: the days of the range on the x axis (first,
/// middle and last labelled), the amount a month on the y axis (0, half and top labelled), one line per measure.
/// </summary>
/// <param name="Currency">The currency, lower case.</param>
/// <param name="From">The first day of the x axis.</param>
/// <param name="To">The last day of the x axis.</param>
/// <param name="Snapshots">The currency's snapshots in the range, by day.</param>
public sealed record RevenueChart(string Currency, DateOnly From, DateOnly To, IReadOnlyList<MrrSnapshot> Snapshots)
{
    /// <summary>The view box width.</summary>
    public int Width => 720;

    /// <summary>The view box height.</summary>
    public int Height => 260;

    /// <summary>Plot area left edge (room for amounts).</summary>
    public int Left => 96;

    /// <summary>Plot area right edge.</summary>
    public int Right => Width - 16;

    /// <summary>Plot area top edge.</summary>
    public int Top => 24;

    /// <summary>Plot area bottom edge.</summary>
    public int Bottom => Height - 48;

    /// <summary>The top of the y scale, in minor units: a round number at or above every value charted.</summary>
    public long Max
    {
        get
        {
            var max = Snapshots.Count == 0 ? 0 : Snapshots.Max(s => Math.Max(s.Mrr, s.PotentialMrr));
            return max <= 0 ? 100 : NiceCeiling(max);
        }
    }

    /// <summary>The y ticks: 0, half the top and the top of the scale, each with its height and amount.</summary>
    public IReadOnlyList<(double Y, string Label)> YTicks =>
        [.. new[] { 0L, Max / 2, Max }.Select(v => (YOf(v), Format.Money(v, Currency)))];

    /// <summary>The x ticks: the first, middle and last day of the range, each with its position.</summary>
    public IReadOnlyList<(double X, string Label)> XTicks =>
        [.. new[] { From, From.AddDays((To.DayNumber - From.DayNumber) / 2), To }.Distinct().Select(d => (XOf(d), DayText(d)))];

    /// <summary>The MRR line's points.</summary>
    public string MrrLine => Line(s => s.Mrr);

    /// <summary>The potential MRR line's points.</summary>
    public string PotentialLine => Line(s => s.PotentialMrr);

    /// <summary>The x position of a day.</summary>
    public double XOf(DateOnly day)
    {
        var span = Math.Max(1, To.DayNumber - From.DayNumber);
        return Math.Round(Left + ((day.DayNumber - From.DayNumber) / (double)span * (Right - Left)), 1);
    }

    /// <summary>The y position of an amount in minor units.</summary>
    public double YOf(long amount) => Math.Round(Bottom - ((double)amount / Max * (Bottom - Top)), 1);

    /// <summary>A day as the chart writes it.</summary>
    public static string DayText(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>One chart per currency with snapshots, by currency.</summary>
    public static IReadOnlyList<RevenueChart> For(IEnumerable<MrrSnapshot> snapshots, DateOnly from, DateOnly to) =>
        [.. snapshots.GroupBy(s => s.Currency, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new RevenueChart(g.Key, from, to, [.. g.OrderBy(s => s.Day)]))];

    private string Line(Func<MrrSnapshot, long> measure) =>
        string.Join(' ', Snapshots.Select(s => string.Create(CultureInfo.InvariantCulture, $"{XOf(s.Day)},{YOf(measure(s))}")));

    private static long NiceCeiling(long value)
    {
        var magnitude = (long)Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1m, 2m, 2.5m, 5m })
        {
            if (value <= step * magnitude)
            {
                return (long)(step * magnitude);
            }
        }

        return 10 * magnitude;
    }
}
