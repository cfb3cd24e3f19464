namespace VaultAI.Billing.Entitlements;

/// <summary>Whether an organization's subscription entitles it to use the service now.</summary>
/// <param name="Entitled">Whether it is entitled.</param>
/// <param name="Reason">
/// Why: <c>pending_link</c>, <c>trial</c>, <c>active</c>, <c>grace_period</c> (past due, within the plan's grace days),
/// <c>suspended</c> (past due beyond them), or the status that does not entitle (<c>canceled</c>, <c>unpaid</c>, ...).
/// </param>
/// <param name="GracePeriodEnd">For a past-due organization, when its grace period ends (or ended).</param>
public sealed record EntitlementState(bool Entitled, string Reason, DateTimeOffset? GracePeriodEnd)
{
    /// <summary>The reason of a past-due organization whose grace period is over.</summary>
    public const string Suspended = "suspended";

    /// <summary>The reason of a past-due organization within its grace period.</summary>
    public const string GracePeriod = "grace_period";

    /// <summary>Whether the organization is suspended (past due beyond its grace period).</summary>
    public bool IsSuspended => Reason == Suspended;
}
