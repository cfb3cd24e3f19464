namespace VaultAI.Billing.Plans;

/// <summary>One item of a Stripe subscription to a plan.</summary>
/// <param name="PriceId">The Stripe price.</param>
/// <param name="Quantity">The quantity of a licensed price; <see langword="null"/> for a metered price, which takes none.</param>
public sealed record PlanItem(string PriceId, long? Quantity);

/// <summary>The Stripe subscription items of a plan.</summary>
public static class PlanItemExtensions
{
    /// <summary>The items a Stripe subscription to <paramref name="plan"/> has; empty for a free plan (no Stripe subscription).</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="yearly">Whether the yearly prices are wanted rather than the monthly ones.</param>
    /// <returns>The items, in the plan's order.</returns>
    /// <exception cref="ArgumentException">Yearly items were asked of a plan that has no yearly price.</exception>
    public static IReadOnlyList<PlanItem> SubscriptionItems(this BillingPlan plan, bool yearly)
    {
        ArgumentNullException.ThrowIfNull(plan);

        // Today's model: one price per interval. A plan without a monthly price is free.
        if (string.IsNullOrWhiteSpace(plan.MonthlyPriceId))
        {
            return [];
        }

        if (yearly && string.IsNullOrWhiteSpace(plan.YearlyPriceId))
        {
            throw new ArgumentException("The plan has no yearly price.", nameof(yearly));
        }

        return [new PlanItem(yearly ? plan.YearlyPriceId! : plan.MonthlyPriceId, plan.LicensedQuantity)];
    }
}
