namespace VaultAI.Billing.Client;

/// <summary>The organization's usage in the current billing period, per metric of the host's catalog.</summary>
public sealed record OrganizationUsage
{
    /// <summary>Gets the organization id.</summary>
    public required Guid OrganizationId { get; init; }

    /// <summary>Gets the start of the current period.</summary>
    public required DateTimeOffset PeriodStart { get; init; }

    /// <summary>Gets the end of the current period.</summary>
    public required DateTimeOffset PeriodEnd { get; init; }

    /// <summary>Gets the organization's plan key, if it has one.</summary>
    public string? Plan { get; init; }

    /// <summary>Gets the usage of each metric, ordered by metric key.</summary>
    public required IReadOnlyList<MetricUsage> Metrics { get; init; }

    /// <summary>Gets when this usage was retrieved from the billing host.</summary>
    public required DateTimeOffset RetrievedAt { get; init; }

    /// <summary>Gets a value indicating whether this is a cached answer served because the billing host could not be reached.</summary>
    public bool IsStale { get; init; }

    /// <summary>Gets how old the answer was when it was returned (<see cref="TimeSpan.Zero"/> for a fresh answer from the host).</summary>
    public TimeSpan Age { get; init; }

    /// <summary>Returns the usage of one metric.</summary>
    /// <param name="metric">The metric key.</param>
    /// <returns>The metric's usage, or <see langword="null"/> when the host's catalog has no such metric.</returns>
    public MetricUsage? this[string metric] => Metrics.FirstOrDefault(m => string.Equals(m.Metric, metric, StringComparison.Ordinal));
}

/// <summary>One metric's usage in the current period.</summary>
/// <param name="Metric">The metric key.</param>
/// <param name="Unit">The unit of its quantities (<c>GB</c>, <c>minutes</c>), possibly empty.</param>
/// <param name="Current">The period's total so far, by the metric's aggregation.</param>
/// <param name="Included">The quantity included in the plan, if the plan sets one.</param>
/// <param name="Limit">The plan's hard limit, if any.</param>
/// <param name="Percentage">Current as a percentage of the limit (two decimals), when there is a limit.</param>
/// <param name="Unlimited"><see langword="true"/> when the plan sets no limit for the metric.</param>
public sealed record MetricUsage(string Metric, string Unit, decimal Current, decimal? Included, decimal? Limit, decimal? Percentage, bool Unlimited);
