namespace VaultAI.Billing.Plans;

/// <summary>What a plan allows of one metric per period.</summary>
/// <param name="Metric">The metric key.</param>
/// <param name="Limit">The most allowed per period, or <see langword="null"/> for unlimited.</param>
/// <param name="Hard">Whether usage over the limit is refused (402) rather than only reported.</param>
/// <param name="Included">The quantity included in the base price, 0 if none.</param>
public sealed record PlanLimit(string Metric, decimal? Limit, bool Hard, decimal Included);

/// <summary>Reads limits from a plan.</summary>
public static class PlanLimitExtensions
{
    /// <summary>The plan's limit on a metric, or <see langword="null"/> when the plan says nothing about it.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="metric">The metric key, for example <c>ai_tokens</c>.</param>
    /// <returns>The limit; <see cref="PlanLimit.Limit"/> is <see langword="null"/> when unlimited.</returns>
    public static PlanLimit? FindLimit(this BillingPlan plan, string metric)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Metrics.TryGetValue(metric, out var m))
        {
            // -1 is how the seeds spell unlimited.
            var limit = m.Limit is { } value && value >= 0 ? value : (decimal?)null;
            if (m.Limit is null && plan.Limits.TryGetValue(metric, out var shorthand))
            {
                return new PlanLimit(metric, shorthand < 0 ? null : shorthand, true, m.Included);
            }

            return new PlanLimit(metric, limit, limit is not null && m.Hard, m.Included);
        }

        return plan.Limits.TryGetValue(metric, out var hard) ? new PlanLimit(metric, hard < 0 ? null : hard, hard >= 0, 0m) : null;
    }
}
