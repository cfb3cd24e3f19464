using System.Text.Json.Nodes;
using Stripe;
using VaultAI.Billing.Events;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Organizations.Internal;
using VaultAI.Billing.Storage;
using VaultAI.Billing.Webhooks;
using VaultAI.Billing.Webhooks.Internal;
using CheckoutSession = Stripe.Checkout.Session;

namespace VaultAI.Billing.SelfService.Internal;

/// <summary>
/// The end of an upgrade paid through Checkout (<see cref="IBillingSelfService.CheckoutAsync"/> without a card on file):
/// the new subscription replaces the running one, which stops at once with its unused time prorated, so the customer is
/// never billed for two. Called by the webhook processor for <c>checkout.session.completed</c> of a linked organization.
/// </summary>
internal static class SubscriptionReplacement
{
    /// <summary>The Checkout session metadata naming the subscription an upgrade replaces.</summary>
    public const string MetadataKey = "replaces_subscription";

    /// <summary>Applies the replacement, or returns <see langword="null"/> when the session replaces nothing of this organization.</summary>
    public static async Task<(string Status, string? Note)?> TryApplyAsync(
        IBillingStore store,
        StripeClient stripe,
        IBillingEventLog events,
        Event stripeEvent,
        Organization organization,
        CheckoutSession session,
        Func<Subscription, string?> planFor,
        CancellationToken cancellationToken)
    {
        if (session.Metadata is null || !session.Metadata.TryGetValue(MetadataKey, out var replaced) || string.IsNullOrEmpty(replaced)
            || session.SubscriptionId is not { } replacement || session.CustomerId != organization.StripeCustomerId
            || (organization.StripeSubscriptionId != replaced && organization.StripeSubscriptionId != replacement))
        {
            return null;
        }

        if (organization.StripeSubscriptionId == replaced)
        {
            var subscription = await stripe.V1.Subscriptions.GetAsync(replacement, cancellationToken: cancellationToken).ConfigureAwait(false);
            var plan = planFor(subscription) ?? (session.Metadata.TryGetValue("plan", out var fromMetadata) ? fromMetadata : null);
            var from = organization.PlanKey;
            var observedAt = stripeEvent.CreatedAt();
            await store.UpdateOrganizationAsync(organization.Id, org =>
            {
                if (org.StripeSubscriptionId != replaced)
                {
                    return false;
                }

                org.StripeSubscriptionId = subscription.Id;
                org.PlanKey = plan ?? org.PlanKey;
                SubscriptionState.Apply(org, subscription, observedAt);
                org.LastSubscriptionEventAt = observedAt;
                org.LastSubscriptionEventId = stripeEvent.Id;
                return true;
            }, cancellationToken).ConfigureAwait(false);
            var data = new JsonObject { ["from"] = from, ["to"] = plan, ["subscription"] = subscription.Id, ["replaced"] = replaced, ["via"] = "checkout", ["stripe_event"] = stripeEvent.Id };
            await events.RecordAsync(new BillingEventEntry(BillingEventTypes.PlanChanged, organization.Id, BillingActors.Stripe, data, $"stripe:{stripeEvent.Id}:{BillingEventTypes.PlanChanged}"), cancellationToken).ConfigureAwait(false);
        }

        // Also on a redelivery after the relink: the old subscription must end even if the first attempt stopped here.
        var old = await stripe.V1.Subscriptions.GetAsync(replaced, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (old.Status is not ("canceled" or "incomplete_expired"))
        {
            await stripe.V1.Subscriptions.CancelAsync(
                replaced,
                new SubscriptionCancelOptions { Prorate = true },
                new RequestOptions { IdempotencyKey = "replace:" + replaced + ":cancel" },
                cancellationToken).ConfigureAwait(false);
        }

        return (WebhookEventStatus.Processed, $"Subscription {replaced} replaced by {replacement} (upgrade through Checkout).");
    }
}
