namespace VaultAI.Billing.Client;

/// <summary>The organization's subscription as the billing host knows it, for a billing page of the organization's own admin.</summary>
public sealed record SubscriptionSummary
{
    /// <summary>Gets the organization id.</summary>
    public Guid OrganizationId { get; init; }

    /// <summary>Gets the plan key (for example <c>pro</c>), or <see langword="null"/> while the organization has none.</summary>
    public string? PlanType { get; init; }

    /// <summary>Gets the plan's display name, or <see langword="null"/> while the organization has no plan.</summary>
    public string? PlanName { get; init; }

    /// <summary>Gets the billing interval, <c>monthly</c> or <c>yearly</c>, or <see langword="null"/> for none.</summary>
    public string? BillingInterval { get; init; }

    /// <summary>Gets the status: <c>pending</c>, <c>trial</c>, <c>active</c>, <c>past_due</c>, <c>suspended</c>, <c>unpaid</c>, <c>canceled</c>, <c>incomplete</c> or <c>paused</c>.</summary>
    public string Status { get; init; } = "pending";

    /// <summary>Gets the end of the trial, if one is set.</summary>
    public DateTimeOffset? TrialEnd { get; init; }

    /// <summary>Gets the start of the current billing period, once subscribed.</summary>
    public DateTimeOffset? CurrentPeriodStart { get; init; }

    /// <summary>Gets the end of the current billing period, once subscribed.</summary>
    public DateTimeOffset? CurrentPeriodEnd { get; init; }

    /// <summary>Gets a value indicating whether the subscription ends at the end of the current period.</summary>
    public bool CancelAtPeriodEnd { get; init; }

    /// <summary>Gets the number of seats billed, when the plan bills seats.</summary>
    public long? Seats { get; init; }

    /// <summary>Gets the next invoice's preview, or <see langword="null"/> when none is due (no subscription, or it ends).</summary>
    public UpcomingInvoice? NextInvoice { get; init; }

    /// <summary>Gets the usage of each metric of the catalog in the current period, against the plan's limits.</summary>
    public IReadOnlyList<MetricAllowance> Metrics { get; init; } = [];
}

/// <summary>The preview of the organization's next invoice.</summary>
/// <param name="AmountDue">The amount due, in the currency's minor unit (cents), after credits.</param>
/// <param name="Currency">The ISO currency code in lower case, for example <c>usd</c>.</param>
/// <param name="Date">When the invoice will be issued, if known.</param>
public sealed record UpcomingInvoice(long AmountDue, string Currency, DateTimeOffset? Date);

/// <summary>One metric's usage in the current period against the plan.</summary>
/// <param name="Metric">The metric key.</param>
/// <param name="Current">The period's total so far, by the metric's aggregation.</param>
/// <param name="Limit">The plan's limit, or <see langword="null"/> when unlimited.</param>
/// <param name="Included">The quantity included in the plan before overage, if the plan sets one.</param>
public sealed record MetricAllowance(string Metric, decimal Current, decimal? Limit, decimal? Included);
