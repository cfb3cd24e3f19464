using VaultAI.Billing.Organizations;

namespace VaultAI.Billing.Metering;

/// <summary>One accepted usage event: a row of the usage ledger, unique per (organization, event id), stored once and kept.</summary>
public sealed class UsageEventRecord
{
    /// <summary>The row id.</summary>
    public Guid Id { get; set; }

    /// <summary>The organization.</summary>
    public Guid OrganizationId { get; set; }

    /// <summary>The caller's event id (the idempotency key, unique per organization).</summary>
    public string EventId { get; set; } = "";

    /// <summary>The metric key.</summary>
    public string Metric { get; set; } = "";

    /// <summary>The quantity.</summary>
    public decimal Quantity { get; set; }

    /// <summary>When the usage happened.</summary>
    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>When the billing service recorded it.</summary>
    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>Where it came from: <c>usage-events</c> (HTTP), <c>in-process</c> (<see cref="IUsageRecorder"/>), <c>usage-report</c> or <c>meter-events</c> (the seeds' routes).</summary>
    public string Source { get; set; } = "";

    /// <summary>The event's properties as JSON text, if any.</summary>
    public string? Properties { get; set; }

    /// <summary>
    /// Why the event will never reach Stripe although its metric is billed, for example because it is older than Stripe's
    /// 35-day window for meter events; <see langword="null"/> otherwise. The event still counts in its period total.
    /// </summary>
    public string? NotBillableReason { get; set; }

    /// <summary>Start of the billing period the event counts in.</summary>
    public DateTimeOffset PeriodStart { get; set; }

    /// <summary>End of the billing period the event counts in (exclusive).</summary>
    public DateTimeOffset PeriodEnd { get; set; }
}

/// <summary>The running total of one metric for one organization over one billing period, updated with every accepted event.</summary>
public sealed class UsagePeriodTotal
{
    /// <summary>The organization.</summary>
    public Guid OrganizationId { get; set; }

    /// <summary>The metric key.</summary>
    public string Metric { get; set; } = "";

    /// <summary>Start of the period.</summary>
    public DateTimeOffset PeriodStart { get; set; }

    /// <summary>End of the period (exclusive).</summary>
    public DateTimeOffset PeriodEnd { get; set; }

    /// <summary>The total according to the metric's aggregation (sum, count, last or max).</summary>
    public decimal Total { get; set; }

    /// <summary>How many events were counted.</summary>
    public long EventCount { get; set; }

    /// <summary>The latest event timestamp counted (decides <see cref="MetricAggregation.Last"/>).</summary>
    public DateTimeOffset? LastEventAt { get; set; }

    /// <summary>When the total last changed.</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Reserved by requests in progress (<c>RequireEntitlement(..., reserve: true)</c>), not part of <see cref="Total"/>.</summary>
    public decimal Reserved { get; set; }
}

/// <summary>A billing period: <see cref="Start"/> inclusive, <see cref="End"/> exclusive.</summary>
/// <param name="Start">The first instant of the period.</param>
/// <param name="End">The first instant after the period.</param>
public readonly record struct UsagePeriod(DateTimeOffset Start, DateTimeOffset End)
{
    /// <summary>
    /// The period an instant counts in: the organization's current Stripe subscription period when it is linked and the
    /// period contains the instant; the next one (it starts where the current one ends, and is assumed as long) when the
    /// instant falls after the current period but Stripe's renewal has not been seen yet; otherwise the calendar month (UTC)
    /// of the instant.
    /// </summary>
    /// <param name="organization">The organization as stored.</param>
    /// <param name="at">The instant.</param>
    /// <returns>The period.</returns>
    public static UsagePeriod For(Organization organization, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(organization);
        if (organization.IsLinked && organization.CurrentPeriodStart is { } start && organization.CurrentPeriodEnd is { } end && start <= at && at < end)
        {
            return new UsagePeriod(start.ToUniversalTime(), end.ToUniversalTime());
        }

        // Stripe's periods follow each other without a gap: usage just after the period end belongs to the period starting
        // there, so its total and its roll-up never straddle the boundary while the renewal webhook is on its way.
        if (organization.IsLinked && organization.CurrentPeriodStart is { } previous && organization.CurrentPeriodEnd is { } next
            && next > previous && next <= at && at < next + (next - previous))
        {
            return new UsagePeriod(next.ToUniversalTime(), (next + (next - previous)).ToUniversalTime());
        }

        var utc = at.ToUniversalTime();
        var month = new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);
        return new UsagePeriod(month, month.AddMonths(1));
    }
}
