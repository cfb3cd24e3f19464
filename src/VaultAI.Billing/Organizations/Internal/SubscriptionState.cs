using VaultAI.Billing.Stripe;

namespace VaultAI.Billing.Organizations;

/// <summary>Copies a Stripe subscription's state onto an organization.</summary>
internal static class SubscriptionState
{
    public static void Apply(Organization organization, StripeSubscription subscription)
    {
        organization.StripeSubscriptionStatus = subscription.Status;
        organization.Status = OrganizationStatus.FromStripe(subscription.Status);
        organization.TrialEnd = subscription.TrialEnd;
        organization.CurrentPeriodStart = subscription.CurrentPeriodStart ?? subscription.Items.FirstOrDefault()?.CurrentPeriodStart;
        organization.CurrentPeriodEnd = subscription.CurrentPeriodEnd ?? subscription.Items.FirstOrDefault()?.CurrentPeriodEnd;
        organization.CancelAtPeriodEnd = subscription.CancelAtPeriodEnd;
    }
}
