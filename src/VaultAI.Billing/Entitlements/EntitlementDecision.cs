namespace VaultAI.Billing.Entitlements;

/// <summary>The answer to "may this organization use this much of this metric now?".</summary>
/// <param name="Allowed">Whether the use is allowed.</param>
/// <param name="Code">
/// Why it is refused: <see cref="EntitlementCodes.QuotaExceeded"/>, <see cref="EntitlementCodes.SubscriptionInactive"/> or
/// <see cref="EntitlementCodes.Suspended"/>; <see langword="null"/> when allowed.
/// </param>
/// <param name="Detail">A sentence for people.</param>
/// <param name="State">The organization's entitlement state.</param>
/// <param name="Quota">The metric's usage in the current period against the plan's limit (the quantity asked for not included).</param>
/// <param name="UpgradeUrl">Where to upgrade or pay (<see cref="EntitlementOptions.UpgradeUrlTemplate"/>), if configured.</param>
/// <param name="OverQuota">Whether the use goes over a soft limit (allowed, and recorded as an over-quota event).</param>
public sealed record EntitlementDecision(
    bool Allowed,
    string? Code,
    string Detail,
    EntitlementState State,
    QuotaUsage Quota,
    string? UpgradeUrl,
    bool OverQuota);

/// <summary>A metric's usage in the current period against the plan's limit.</summary>
/// <param name="Metric">The metric key.</param>
/// <param name="Current">The period total recorded so far.</param>
/// <param name="Limit">The plan's limit; <see langword="null"/> when unlimited.</param>
/// <param name="Percentage">The current total as a percentage of the limit (two decimals); <see langword="null"/> when unlimited.</param>
/// <param name="Hard">Whether the limit is hard (refused beyond it) or soft.</param>
public sealed record QuotaUsage(string Metric, decimal Current, decimal? Limit, decimal? Percentage, bool Hard);

/// <summary>The stable codes of a refusal (the <c>code</c> of the 402 problem details).</summary>
public static class EntitlementCodes
{
    /// <summary>The plan's hard limit for the metric would be exceeded.</summary>
    public const string QuotaExceeded = "quota_exceeded";

    /// <summary>The subscription does not entitle the organization (canceled, unpaid, not linked when pending is not entitled, ...).</summary>
    public const string SubscriptionInactive = "subscription_inactive";

    /// <summary>The organization is past due beyond its grace period.</summary>
    public const string Suspended = "suspended";
}
