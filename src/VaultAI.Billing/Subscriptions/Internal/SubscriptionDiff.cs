using Stripe;
using VaultAI.Billing.Plans;

namespace VaultAI.Billing.Subscriptions.Internal;

/// <summary>What must change in a Stripe subscription's items so that they become a plan's items.</summary>
internal static class SubscriptionDiff
{
    /// <summary>Whether the subscription bills yearly (its items share one interval).</summary>
    public static bool IsYearly(Subscription subscription) =>
        subscription.Items?.Data?.FirstOrDefault()?.Price?.Recurring?.Interval == "year";

    /// <summary>
    /// The <c>items</c> of an update from the subscription's items to <paramref name="target"/>: an item whose price is
    /// already there stays as it is (its quantity is the customer's seats); an
    /// item replaced by a price of the same kind (licensed or metered) is swapped in place and keeps its quantity, so
    /// seats carry over to the new plan; what is left is removed, and what is missing is added. Empty when nothing differs.
    /// </summary>
    public static List<SubscriptionItemOptions> Items(Subscription subscription, IReadOnlyList<PlanItem> target)
    {
        var current = subscription.Items?.Data?.ToList() ?? [];
        var unmatchedCurrent = new List<SubscriptionItem>(current);
        var unmatchedTarget = new List<PlanItem>();
        foreach (var wanted in target)
        {
            var same = unmatchedCurrent.FirstOrDefault(c => c.Price?.Id == wanted.PriceId);
            if (same is null)
            {
                unmatchedTarget.Add(wanted);
            }
            else
            {
                unmatchedCurrent.Remove(same);
            }
        }

        var changes = new List<SubscriptionItemOptions>();
        foreach (var wanted in unmatchedTarget)
        {
            var metered = wanted.Quantity is null;
            var replaced = unmatchedCurrent.FirstOrDefault(c => IsMetered(c) == metered);
            if (replaced is not null)
            {
                unmatchedCurrent.Remove(replaced);
                changes.Add(new SubscriptionItemOptions { Id = replaced.Id, Price = wanted.PriceId, Quantity = metered ? null : replaced.Quantity });
            }
            else
            {
                changes.Add(new SubscriptionItemOptions { Price = wanted.PriceId, Quantity = wanted.Quantity });
            }
        }

        foreach (var left in unmatchedCurrent)
        {
            changes.Add(new SubscriptionItemOptions { Id = left.Id, Deleted = true });
        }

        return changes;
    }

    /// <summary>
    /// The item whose quantity is the number of seats: the only licensed item, or, when a plan has a base fee (quantity 1)
    /// beside a seat price, the licensed item last in the subscription. <see langword="null"/> when every item is metered.
    /// </summary>
    public static SubscriptionItem? SeatItem(Subscription subscription)
    {
        var licensed = (subscription.Items?.Data ?? []).Where(i => !IsMetered(i)).ToList();
        return licensed.Count <= 1 ? licensed.FirstOrDefault() : licensed.FirstOrDefault(i => i.Quantity != 1) ?? licensed[^1];
    }

    private static bool IsMetered(SubscriptionItem item) => item.Price?.Recurring?.UsageType == "metered";
}
