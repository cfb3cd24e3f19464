using Stripe;

namespace VaultAI.Billing.Organizations;

/// <summary>Copies a Stripe subscription's state onto an organization.</summary>
internal static class SubscriptionState
{
    public static void Apply(Organization organization, Subscription subscription)
    {
        organization.StripeSubscriptionStatus = subscription.Status;
        organization.Status = OrganizationStatus.FromStripe(subscription.Status);
        organization.TrialEnd = Utc(subscription.TrialEnd);

        // Since API 2025-03-31.basil the billing period lives on the subscription's items.
        var item = subscription.Items?.Data?.FirstOrDefault();
        organization.CurrentPeriodStart = Utc(item?.CurrentPeriodStart);
        organization.CurrentPeriodEnd = Utc(item?.CurrentPeriodEnd);
        organization.CancelAtPeriodEnd = subscription.CancelAtPeriodEnd;
    }

    /// <summary>Stripe.net reads unix times as UTC <see cref="DateTime"/>s.</summary>
    internal static DateTimeOffset? Utc(DateTime? value) =>
        value is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;

    /// <inheritdoc cref="Utc(DateTime?)"/>
    internal static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
