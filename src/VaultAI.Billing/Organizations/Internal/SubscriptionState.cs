using Stripe;
using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Organizations;

/// <summary>Copies a Stripe subscription's state onto an organization.</summary>
internal static class SubscriptionState
{
    public static void Apply(Organization organization, Subscription subscription)
    {
        organization.StripeSubscriptionStatus = subscription.Status;
        organization.Status = OrganizationStatus.FromStripe(subscription.Status);
        organization.TrialEnd = subscription.TrialEnd.ToUtcOffset();

        // Since API 2025-03-31.basil the billing period lives on the subscription's items.
        var item = subscription.Items?.Data?.FirstOrDefault();
        organization.CurrentPeriodStart = item?.CurrentPeriodStart.ToUtcOffset();
        organization.CurrentPeriodEnd = item?.CurrentPeriodEnd.ToUtcOffset();
        organization.CancelAtPeriodEnd = subscription.CancelAtPeriodEnd;
    }
}
