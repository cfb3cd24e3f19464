using Stripe;
using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Organizations;

/// <summary>A change of an organization's status made by <see cref="SubscriptionState"/>.</summary>
/// <param name="Before">The status before.</param>
/// <param name="After">The status after.</param>
internal readonly record struct StatusTransition(string Before, string After)
{
    public bool Changed => !string.Equals(Before, After, StringComparison.Ordinal);

    public bool BecamePastDue => Changed && After == OrganizationStatus.PastDue;

    public bool LeftPastDue => Changed && Before == OrganizationStatus.PastDue;
}

/// <summary>
/// The one place an organization's subscription status is written. Every path that learns a status from Stripe
/// (webhooks, the admin sync, linking, the reconciliation) goes through here, so that becoming past due always
/// records since when (the start of the grace period) and leaving it always clears it.
/// </summary>
internal static class SubscriptionState
{
    /// <summary>Copies a Stripe subscription's state onto an organization.</summary>
    /// <param name="organization">The organization being updated.</param>
    /// <param name="subscription">The subscription as Stripe sent it.</param>
    /// <param name="observedAt">When this state was true at Stripe (the event's time, or now for a read): the start of a new grace period.</param>
    /// <returns>The status change.</returns>
    public static StatusTransition Apply(Organization organization, Subscription subscription, DateTimeOffset observedAt)
    {
        // A subscription that ended because the organization moved to a free plan leaves it active on that plan.
        var freePlan = FreePlanAfterEnd(subscription);
        var transition = ApplyStatus(organization, freePlan is null ? OrganizationStatus.FromStripe(subscription.Status) : OrganizationStatus.Active, subscription.Status, observedAt);
        if (freePlan is not null)
        {
            organization.PlanKey = freePlan;
        }

        organization.TrialEnd = subscription.TrialEnd.ToUtcOffset();

        // Since API 2025-03-31.basil the billing period lives on the subscription's items.
        var item = subscription.Items?.Data?.FirstOrDefault();
        organization.CurrentPeriodStart = item?.CurrentPeriodStart.ToUtcOffset();
        organization.CurrentPeriodEnd = item?.CurrentPeriodEnd.ToUtcOffset();
        organization.CancelAtPeriodEnd = subscription.CancelAtPeriodEnd;
        organization.BillingInterval = freePlan is null ? BaseInterval(subscription) ?? organization.BillingInterval : null;
        var licensed = freePlan is null ? Subscriptions.Internal.SubscriptionDiff.SeatItem(subscription) : null;
        if (freePlan is not null || subscription.Items?.Data is { Count: > 0 })
        {
            organization.LicensedQuantity = licensed?.Quantity;
        }

        return transition;
    }

    /// <summary>
    /// The free plan an ended subscription handed over to (the <c>plan_after_period_end</c> metadata a plan change to a
    /// free plan sets), or <see langword="null"/> when the subscription is live or simply ended.
    /// </summary>
    public static string? FreePlanAfterEnd(Subscription subscription) =>
        subscription.Status is "canceled" or "incomplete_expired"
        && subscription.Metadata?.TryGetValue("plan_after_period_end", out var plan) == true && !string.IsNullOrEmpty(plan)
            ? plan
            : null;

    /// <summary>
    /// The interval of the subscription's base price (its first licensed item, else its first item): <c>month</c> or
    /// <c>year</c>; <see langword="null"/> when the subscription came without items.
    /// </summary>
    public static string? BaseInterval(Subscription subscription)
    {
        var items = subscription.Items?.Data ?? [];
        var item = items.FirstOrDefault(i => i.Price?.Recurring is { UsageType: not "metered" }) ?? items.FirstOrDefault();
        return item?.Price?.Recurring?.Interval;
    }

    /// <summary>
    /// When a subscription read from Stripe (not from an event) became what it is: for a past-due subscription read
    /// with <c>latest_invoice</c> expanded, the time that unpaid invoice was created (the payment failed on it, so the
    /// grace period does not restart each time someone syncs); otherwise <paramref name="now"/>.
    /// </summary>
    public static DateTimeOffset ObservedAt(Subscription subscription, DateTimeOffset now) =>
        subscription.Status == "past_due" && subscription.LatestInvoice?.Created is { } created && created != default
            ? Min(new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)), now)
            : now;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>Sets the status (and Stripe's raw status) and keeps <see cref="Organization.PastDueSince"/> in step with it.</summary>
    /// <param name="organization">The organization being updated.</param>
    /// <param name="status">The new <see cref="OrganizationStatus"/>.</param>
    /// <param name="stripeStatus">Stripe's subscription status.</param>
    /// <param name="observedAt">When the status became true.</param>
    /// <returns>The status change.</returns>
    public static StatusTransition ApplyStatus(Organization organization, string status, string? stripeStatus, DateTimeOffset observedAt)
    {
        var before = organization.Status;
        organization.Status = status;
        organization.StripeSubscriptionStatus = stripeStatus;
        if (status == OrganizationStatus.PastDue)
        {
            // Already past due: the grace period keeps its start. Newly past due (or a row from before this field was
            // written on every path): it starts now.
            if (before != OrganizationStatus.PastDue || organization.PastDueSince is null)
            {
                organization.PastDueSince = observedAt;
            }
        }
        else
        {
            organization.PastDueSince = null;
        }

        return new StatusTransition(before, status);
    }
}
