namespace VaultAI.Billing.Plans;

/// <summary>What a plan allows of one metric in a billing period.</summary>
/// <param name="Metric">The metric key, for example <c>ai_tokens</c>.</param>
/// <param name="Limit">The most the period may use; <see langword="null"/> means unlimited.</param>
/// <param name="Hard">Whether going over the limit is refused (hard) or allowed and recorded as over quota (soft).</param>
/// <param name="Included">The quantity included in the plan's base price; 0 when none.</param>
public sealed record PlanLimit(string Metric, decimal? Limit, bool Hard, decimal Included);

/// <summary>Reads a plan's limits.</summary>
public static class PlanLimitExtensions
{
    /// <summary>The plan's limit of a metric.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="metric">The metric key.</param>
    /// <returns>The limit, or <see langword="null"/> when the plan says nothing about the metric.</returns>
    // Temporary: today's plans only carry hard limits (BillingPlan.Limits); the catalog rework replaces this file.
    public static PlanLimit? FindLimit(this BillingPlan plan, string metric)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.Limits.TryGetValue(metric, out var limit) ? new PlanLimit(metric, limit, Hard: true, Included: 0m) : null;
    }
}
