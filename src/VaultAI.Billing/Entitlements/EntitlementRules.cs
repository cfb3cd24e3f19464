using VaultAI.Billing.Organizations;
using VaultAI.Billing.Plans;

namespace VaultAI.Billing.Entitlements;

/// <summary>The entitlement rules on an organization's status, in one place for every surface.</summary>
public static class EntitlementRules
{
    // The states of the common case, shared (records are immutable): the check runs before every guarded request.
    private static readonly EntitlementState Trial = new(true, OrganizationStatus.Trial, null);
    private static readonly EntitlementState Active = new(true, OrganizationStatus.Active, null);

    /// <summary>
    /// Trial and active organizations are entitled; a pending one as <see cref="EntitlementOptions.PendingEntitled"/> says;
    /// a past-due one for the plan's grace days counted from <see cref="Organization.PastDueSince"/>, then it is
    /// suspended; any other status (canceled, unpaid, incomplete, paused) is not entitled.
    /// </summary>
    /// <param name="organization">The organization as stored.</param>
    /// <param name="plan">Its plan, if it has one (grace days; 7 without a plan).</param>
    /// <param name="options">The entitlement options.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The state.</returns>
    public static EntitlementState Evaluate(Organization organization, BillingPlan? plan, EntitlementOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(organization);
        ArgumentNullException.ThrowIfNull(options);
        switch (organization.Status)
        {
            case OrganizationStatus.Pending:
                return new EntitlementState(options.PendingEntitled, "pending_link", null);
            case OrganizationStatus.Trial:
                return Trial;
            case OrganizationStatus.Active:
                return Active;
            case OrganizationStatus.PastDue:
                // Every path that sets past_due records since when; a row without it (written before that was true)
                // counts from its last update rather than from "now", which would never end.
                var since = organization.PastDueSince ?? organization.UpdatedAt;
                var graceEnd = since + TimeSpan.FromDays(plan?.GraceDays ?? 7);
                return now < graceEnd
                    ? new EntitlementState(true, EntitlementState.GracePeriod, graceEnd)
                    : new EntitlementState(false, EntitlementState.Suspended, graceEnd);
            default:
                return new EntitlementState(false, organization.Status, null);
        }
    }
}
