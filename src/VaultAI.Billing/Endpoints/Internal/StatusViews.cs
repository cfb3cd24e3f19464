using VaultAI.Billing.Organizations;

namespace VaultAI.Billing.Endpoints.Internal;

/// <summary>Builds the wire views of organizations.</summary>
internal static class StatusViews
{
    public static StatusResponse Status(Organization org, VaultAIBillingOptions options, DateTimeOffset now)
    {
        var plan = org.PlanKey is { } key && options.Plans.TryGetValue(key, out var found) ? found : null;
        var trialActive = org.Status == OrganizationStatus.Trial && (org.TrialEnd is null || org.TrialEnd > now);
        return new StatusResponse(
            org.Id,
            org.Name,
            org.Status,
            trialActive,
            org.TrialEnd,
            org.TrialWillEndNotifiedAt is not null && trialActive,
            org.PlanKey,
            org.DeploymentType,
            org.IsLinked ? new StripeSubscriptionView(org.StripeSubscriptionStatus, org.CurrentPeriodStart, org.CurrentPeriodEnd, org.CancelAtPeriodEnd) : null,
            Entitlements(org, plan?.GraceDays ?? 7, plan?.Limits, now));
    }

    internal static EntitlementsView Entitlements(Organization org, int graceDays, IDictionary<string, long>? limits, DateTimeOffset now)
    {
        switch (org.Status)
        {
            case OrganizationStatus.Pending:
                return new EntitlementsView(true, "pending_link", null, limits);
            case OrganizationStatus.Trial or OrganizationStatus.Active:
                return new EntitlementsView(true, org.Status, null, limits);
            case OrganizationStatus.PastDue:
                var graceEnd = (org.PastDueSince ?? now) + TimeSpan.FromDays(graceDays);
                return new EntitlementsView(now < graceEnd, now < graceEnd ? "grace_period" : "grace_period_over", graceEnd, limits);
            default:
                return new EntitlementsView(false, org.Status, null, limits);
        }
    }

    public static AdminOrganizationView Admin(Organization org) => new(
        org.Id, org.Name, org.InstanceUrl, org.Status, org.CreatedAt, org.LastUserCount, org.LastReportAt,
        org.StripeCustomerId, org.StripeSubscriptionId, org.DeploymentType, org.PlanKey, org.AdminEmail,
        org.TrialEnd, org.CurrentPeriodEnd, org.LinkedAt);
}
