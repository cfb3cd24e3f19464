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
            Entitlements(org, plan, options, now));
    }

    internal static EntitlementsView Entitlements(Organization org, Plans.BillingPlan? plan, VaultAIBillingOptions options, DateTimeOffset now)
    {
        // The same rules as every other surface (check route, RequireEntitlement): one place decides.
        var state = Billing.Entitlements.EntitlementRules.Evaluate(org, plan, options.Entitlements, now);
        return new EntitlementsView(state.Entitled, state.Reason, state.GracePeriodEnd, plan?.Limits);
    }

    public static AdminOrganizationView Admin(Organization org) => new(
        org.Id, org.Name, org.InstanceUrl, org.Status, org.CreatedAt, org.LastUserCount, org.LastReportAt,
        org.StripeCustomerId, org.StripeSubscriptionId, org.DeploymentType, org.PlanKey, org.AdminEmail,
        org.TrialEnd, org.CurrentPeriodEnd, org.LinkedAt);
}
