namespace VaultAI.Billing.Client;

/// <summary>The billing host's answer to "may the organization use this much of this metric now?".</summary>
public sealed record EntitlementCheck
{
    /// <summary>Gets a value indicating whether the use is allowed.</summary>
    public required bool Allowed { get; init; }

    /// <summary>Gets the metric asked about.</summary>
    public required string Metric { get; init; }

    /// <summary>Gets why a use is refused: <c>quota_exceeded</c>, <c>subscription_inactive</c> or <c>suspended</c>; <see langword="null"/> when allowed.</summary>
    public string? Code { get; init; }

    /// <summary>Gets the reason of the entitlement state, for example <c>active</c>, <c>grace_period</c> or <c>suspended</c>.</summary>
    public string? Reason { get; init; }

    /// <summary>Gets a sentence for people, on a refusal.</summary>
    public string? Detail { get; init; }

    /// <summary>Gets the period total recorded by the host; <see langword="null"/> when answered from the cache.</summary>
    public decimal? Current { get; init; }

    /// <summary>Gets the plan's limit; <see langword="null"/> when unlimited or unknown (answered from the cache).</summary>
    public decimal? Limit { get; init; }

    /// <summary>Gets the current total as a percentage of the limit, when there is one.</summary>
    public decimal? Percentage { get; init; }

    /// <summary>Gets where the customer can upgrade or pay, when the host is configured with one.</summary>
    public string? UpgradeUrl { get; init; }

    /// <summary>Gets a value indicating whether the use goes over a soft limit (allowed; the host logged it).</summary>
    public bool OverQuota { get; init; }

    /// <summary>
    /// Gets a value indicating whether the host could not be reached and this answer comes from the cached status retrieved at
    /// <see cref="RetrievedAt"/> (at most <c>EntitlementCacheMaxAge</c> old); quotas are not checked then.
    /// </summary>
    public bool IsStale { get; init; }

    /// <summary>Gets when the answer's information was retrieved from the billing host.</summary>
    public required DateTimeOffset RetrievedAt { get; init; }
}
