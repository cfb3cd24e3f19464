namespace VaultAI.Billing.Plans;

/// <summary>A plan of the catalog: its Stripe prices and what it meters.</summary>
public sealed class BillingPlan
{
    /// <summary>Shown to people, for example <c>Managed Cloud</c>.</summary>
    public string DisplayName { get; set; } = "";

    /// <summary>The Stripe price billed monthly (required).</summary>
    public string MonthlyPriceId { get; set; } = "";

    /// <summary>The Stripe price billed yearly (optional).</summary>
    public string? YearlyPriceId { get; set; }

    /// <summary>
    /// For a licensed (per-seat, quantity-based) price, the quantity a new subscription starts with; leave
    /// <see langword="null"/> for a metered price, which takes no quantity.
    /// </summary>
    /// <value>The default is <see langword="null"/> (metered).</value>
    public long? LicensedQuantity { get; set; }

    /// <summary>Estimated price per unit per month in minor units, for the dashboard's MRR estimate only.</summary>
    /// <value>The default is 0 (no estimate).</value>
    public long MonthlyUnitAmount { get; set; }

    /// <summary>The currency of <see cref="MonthlyUnitAmount"/>.</summary>
    /// <value>The default is <c>eur</c>.</value>
    public string Currency { get; set; } = "eur";

    /// <summary>The metrics this plan bills through Stripe meters.</summary>
    public IList<MeteredComponent> Metered { get; set; } = [];

    /// <summary>Hard limits per metric (a report above the limit is still recorded; quotas answer 402).</summary>
    public IDictionary<string, long> Limits { get; set; } = new Dictionary<string, long>(StringComparer.Ordinal);

    /// <summary>How long a <c>past_due</c> organization keeps its entitlements.</summary>
    /// <value>The default is 7 days.</value>
    public int GraceDays { get; set; } = 7;

    /// <summary>The metered component for a metric, or <see langword="null"/>.</summary>
    /// <param name="metric">The metric, for example <c>active_users</c>.</param>
    /// <returns>The component, if the plan meters that metric.</returns>
    public MeteredComponent? FindMetered(string metric) =>
        Metered.FirstOrDefault(m => string.Equals(m.Metric, metric, StringComparison.Ordinal));
}

/// <summary>A metric billed through a Stripe meter.</summary>
public sealed class MeteredComponent
{
    /// <summary>The metric reported by instances, for example <c>active_users</c>.</summary>
    public string Metric { get; set; } = "";

    /// <summary>The Stripe meter's <c>event_name</c>.</summary>
    public string MeterEventName { get; set; } = "";

    /// <summary>How Stripe aggregates the meter over a period.</summary>
    /// <value>The default is <see cref="MeterAggregation.Last"/>, right for seats.</value>
    public MeterAggregation Aggregation { get; set; } = MeterAggregation.Last;
}

/// <summary>Stripe meter aggregation formulas.</summary>
public enum MeterAggregation
{
    /// <summary>The last value of the period (seats, active users).</summary>
    Last,

    /// <summary>The sum of the values (minutes, tokens, GB-hours).</summary>
    Sum,

    /// <summary>The number of events.</summary>
    Count,
}
