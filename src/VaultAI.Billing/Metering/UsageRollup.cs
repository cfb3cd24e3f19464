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

    /// <summary>
    /// The <see cref="UsageEventRecord.NotBillableReason"/> of a billed metric's event that happened while the organization had
    /// no Stripe subscription (before it was linked, or while it is not linked): Stripe bills a meter event only when its
    /// timestamp falls inside a subscription item's period, so such usage is kept in the ledger and its totals but never sent.
    /// </summary>
    public const string NoSubscriptionReason = "The organization had no Stripe subscription when the usage happened; Stripe bills meter events only inside a subscription's period.";

    /// <summary>The <see cref="UsageEventRecord.NotBillableReason"/> of a billed metric's event recorded after the subscription was canceled.</summary>
    public const string CanceledReason = "The organization's subscription is canceled.";

    /// <summary>The start of the window an instant falls in (windows are aligned to the Unix epoch).</summary>
    /// <param name="at">The instant.</param>
    /// <returns>The window's first instant (UTC).</returns>
    public DateTimeOffset WindowStart(DateTimeOffset at)
    {
        var sinceEpoch = at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return DateTimeOffset.UnixEpoch.AddTicks(sinceEpoch - (((sinceEpoch % Window.Ticks) + Window.Ticks) % Window.Ticks));
    }

    /// <summary>
    /// The start of the roll-up an event belongs to: its window's start or, when its billing period begins inside that window,
    /// the period's start. A window holding a period boundary is thus rolled up in two parts, each with its own identifier and
    /// a meter event timestamp inside its own period.
    /// </summary>
    /// <param name="occurredAt">When the usage happened.</param>
    /// <param name="periodStart">The start of the billing period the event counts in (<see cref="UsageEventRecord.PeriodStart"/>).</param>
    /// <returns>The part's first instant (UTC).</returns>
    public DateTimeOffset PartStart(DateTimeOffset occurredAt, DateTimeOffset periodStart)
    {
        var windowStart = WindowStart(occurredAt);
        return periodStart > windowStart ? periodStart.ToUniversalTime() : windowStart;
    }

    /// <summary>Why an event of <paramref name="metric"/> at <paramref name="occurredAt"/> will never reach Stripe, or <see langword="null"/> when it will (or when the metric is not billed).</summary>
    /// <param name="organization">The organization as the recording transaction reads it.</param>
    /// <param name="metric">The metric key.</param>
    /// <param name="occurredAt">When the usage happened.</param>
    /// <returns>One of <see cref="OutsideStripeWindowReason"/>, <see cref="NoSubscriptionReason"/>, <see cref="CanceledReason"/>, or <see langword="null"/>.</returns>
    public string? NotBillableReason(Organizations.Organization organization, string metric, DateTimeOffset occurredAt)
    {
        ArgumentNullException.ThrowIfNull(organization);
        ArgumentNullException.ThrowIfNull(metric);
        if (!Metrics.ContainsKey(metric))
        {
            return null;
        }

        if (!IsBillable(WindowStart(occurredAt)))
        {
            return OutsideStripeWindowReason;
        }

        if (!organization.IsLinked || organization.StripeCustomerId is null || occurredAt < BillableFrom(organization))
        {
            return NoSubscriptionReason;
        }

        return organization.Status == Organizations.OrganizationStatus.Canceled ? CanceledReason : null;
    }

    /// <summary>
    /// When the organization's subscription began, as far as we know: the link time (to the second, as Stripe stamps the
    /// subscription), or the current period's start if that is earlier (a subscription created before the link was recorded).
    /// </summary>
    private static DateTimeOffset BillableFrom(Organizations.Organization organization)
    {
        if (organization.LinkedAt is not { } linkedAt)
        {
            return organization.CurrentPeriodStart ?? DateTimeOffset.MinValue;
        }

        var from = DateTimeOffset.FromUnixTimeSeconds(linkedAt.ToUnixTimeSeconds());
        return organization.CurrentPeriodStart is { } start && start < from ? start : from;
    }

    /// <summary>Whether a window starting at <paramref name="windowStart"/> can still reach Stripe.</summary>
    /// <param name="windowStart">The window's start.</param>
    /// <returns><see langword="false"/> when it is older than Stripe's 35-day window.</returns>
    public bool IsBillable(DateTimeOffset windowStart) => windowStart >= Now - StripeWindow;

    /// <summary>
    /// The identifier prefix of a roll-up's rows: <c>r:{organization}:{metric}:{start, Unix seconds}:</c>, followed by the
    /// sequence number (0 for the roll-up, 1.. for corrections). The start is the window's, or the billing period's when the
    /// period begins inside the window (see <see cref="PartStart"/>). A metric key too long to fit 100 characters is replaced
    /// by a hash of it.
    /// </summary>
    /// <param name="organizationId">The organization.</param>
    /// <param name="metric">The metric key.</param>
    /// <param name="windowStart">The roll-up's start (<see cref="PartStart"/>).</param>
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
