using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace VaultAI.Billing.Metering;

/// <summary>
/// How recorded events of billed metrics become Stripe meter events: one outbox row per (organization, metric, window)
/// carrying the window's value in the metric's smallest unit, sent once the window has closed, and a further row (the next
/// sequence number) for whatever a late event changes after a row was claimed for sending. Rows are never changed once a
/// dispatcher has claimed them, so a resend always carries the same identifier and the same value.
/// </summary>
/// <param name="Metrics">The billed metrics (those with a <see cref="MetricDefinition.MeterEventName"/>, except the report metric), by key.</param>
/// <param name="Window">The window length.</param>
/// <param name="Grace">How long after its end a window stays open.</param>
/// <param name="Now">The billing service's clock at recording.</param>
public sealed record UsageRollup(IReadOnlyDictionary<string, MetricDefinition> Metrics, TimeSpan Window, TimeSpan Grace, DateTimeOffset Now)
{
    /// <summary>Stripe accepts meter events up to 35 days old; keep an hour of margin for the time a row may wait in the outbox.</summary>
    public static readonly TimeSpan StripeWindow = TimeSpan.FromDays(35) - TimeSpan.FromHours(1);

    /// <summary>The <see cref="UsageEventRecord.NotBillableReason"/> of a billed metric's event too old for Stripe.</summary>
    public const string OutsideStripeWindowReason = "The event is older than Stripe's 35-day window for meter events.";

    /// <summary>The start of the window an instant falls in (windows are aligned to the Unix epoch).</summary>
    /// <param name="at">The instant.</param>
    /// <returns>The window's first instant (UTC).</returns>
    public DateTimeOffset WindowStart(DateTimeOffset at)
    {
        var sinceEpoch = at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return DateTimeOffset.UnixEpoch.AddTicks(sinceEpoch - (((sinceEpoch % Window.Ticks) + Window.Ticks) % Window.Ticks));
    }

    /// <summary>Whether a window starting at <paramref name="windowStart"/> can still reach Stripe.</summary>
    /// <param name="windowStart">The window's start.</param>
    /// <returns><see langword="false"/> when it is older than Stripe's 35-day window.</returns>
    public bool IsBillable(DateTimeOffset windowStart) => windowStart >= Now - StripeWindow;

    /// <summary>
    /// The identifier prefix of a window's rows: <c>r:{organization}:{metric}:{window start, Unix seconds}:</c>, followed by
    /// the sequence number (0 for the window, 1.. for corrections). A metric key too long to fit 100 characters is replaced by
    /// a hash of it.
    /// </summary>
    /// <param name="organizationId">The organization.</param>
    /// <param name="metric">The metric key.</param>
    /// <param name="windowStart">The window's start.</param>
    /// <returns>The prefix, at most 94 characters.</returns>
    public static string IdentifierPrefix(Guid organizationId, string metric, DateTimeOffset windowStart)
    {
        ArgumentNullException.ThrowIfNull(metric);
        var seconds = windowStart.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var prefix = $"r:{organizationId:N}:{metric}:{seconds}:";
        if (prefix.Length > 94)
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(metric)))[..16];
            prefix = $"r:{organizationId:N}:{hash}:{seconds}:";
        }

        return prefix;
    }

    /// <summary>A value in the metric's smallest unit (quantity × 10^decimals), a whole number by validation.</summary>
    /// <param name="value">The value in the metric's unit.</param>
    /// <param name="decimals">The metric's decimals.</param>
    /// <returns>The whole number sent to Stripe.</returns>
    public static long ToSmallestUnits(decimal value, int decimals)
    {
        var scaled = value;
        for (var i = 0; i < decimals; i++)
        {
            scaled *= 10m;
        }

        if (scaled != decimal.Truncate(scaled))
        {
            throw new InvalidOperationException($"{value} has more than {decimals} decimal places.");
        }

        return checked((long)scaled);
    }
}
