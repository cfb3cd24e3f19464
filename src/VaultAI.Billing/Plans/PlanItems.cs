namespace VaultAI.Billing.Plans;

/// <summary>One item of a Stripe subscription to a plan.</summary>
/// <param name="PriceId">The Stripe price.</param>
/// <param name="Quantity">The quantity of a licensed price; <see langword="null"/> for a metered price.</param>
public sealed record PlanItem(string PriceId, long? Quantity);

/// <summary>Reads the Stripe subscription items of a plan.</summary>
public static class PlanItemExtensions
{
    /// <summary>
    /// The items of a Stripe subscription to this plan: the base price, the seats, then one metered item per billed
    /// metric (in key order). Empty for a free plan, which has no Stripe subscription.
    /// </summary>
    /// <param name="plan">The plan.</param>
    /// <param name="yearly">Whether the subscription is paid yearly.</param>
    /// <returns>The items, each price once.</returns>
    public static IReadOnlyList<PlanItem> SubscriptionItems(this BillingPlan plan, bool yearly)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var items = new List<PlanItem>();
        void Add(string? priceId, long? quantity)
        {
            if (!string.IsNullOrEmpty(priceId) && !items.Exists(i => i.PriceId == priceId))
            {
                items.Add(new PlanItem(priceId, quantity));
            }
        }

        var baseQuantity = plan.LicensedQuantity ?? (plan.MonthlyAmount > 0 || plan.YearlyAmount > 0 ? 1 : (long?)null);
        Add(yearly ? plan.YearlyPriceId : plan.MonthlyPriceId, baseQuantity);
        if (plan.Seats is { } seats)
        {
            Add(yearly ? seats.YearlyPriceId : seats.PriceId, seats.Quantity);
        }

        foreach (var (_, metric) in plan.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            Add(yearly ? metric.YearlyOveragePriceId : metric.OveragePriceId, null);
        }

        return items;
    }

    /// <summary>Whether a Stripe price belongs to this plan, at either interval.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="priceId">The Stripe price id.</param>
    /// <returns><see langword="true"/> when a subscription to the plan carries that price.</returns>
    public static bool HasPrice(this BillingPlan plan, string priceId) =>
        plan.SubscriptionItems(false).Any(i => i.PriceId == priceId) || plan.SubscriptionItems(true).Any(i => i.PriceId == priceId);
}
