namespace VaultAI.Billing.Plans;

/// <summary>
/// A plan of the catalog, bound from <c>VaultAI:Billing:Plans:&lt;key&gt;</c>: its base prices, what each metric
/// includes, costs over the included quantity and is limited to, its seats and its feature flags. A plan with no
/// Stripe price at all is free and needs no Stripe subscription.
/// </summary>
public sealed class BillingPlan
{
    /// <summary>Shown to people, for example <c>Managed Cloud</c>.</summary>
    public string DisplayName { get; set; } = "";

    /// <summary>
    /// The plan's base Stripe price billed monthly: a licensed fixed fee, or (VaultAI's per-user plans) a metered
    /// price. Leave it empty for a free plan or a plan billed only through its metrics.
    /// </summary>
    public string MonthlyPriceId { get; set; } = "";

    /// <summary>The base Stripe price billed yearly, if the plan can be paid yearly.</summary>
    public string? YearlyPriceId { get; set; }

    /// <summary>The monthly base fee in minor units of <see cref="Currency"/> (what <see cref="MonthlyPriceId"/> charges).</summary>
    /// <value>The default is 0 (no fixed fee).</value>
    public long MonthlyAmount { get; set; }

    /// <summary>The yearly base fee in minor units of <see cref="Currency"/> (what <see cref="YearlyPriceId"/> charges).</summary>
    /// <value>The default is 0 (no fixed fee).</value>
    public long YearlyAmount { get; set; }

    /// <summary>
    /// The quantity of the base price on a new subscription. When unset, the base price is licensed with quantity 1 if
    /// the plan has a fixed fee (<see cref="MonthlyAmount"/> or <see cref="YearlyAmount"/>), and metered (no quantity)
    /// otherwise.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public long? LicensedQuantity { get; set; }

    /// <summary>Price per unit of the report metric per month in minor units, for plans billed per user (VaultAI).</summary>
    /// <value>The default is 0 (not billed per user).</value>
    public long MonthlyUnitAmount { get; set; }

    /// <summary>Price per unit of the report metric per year in minor units, for plans billed per user that can be paid yearly.</summary>
    /// <value>The default is 0.</value>
    public long YearlyUnitAmount { get; set; }

    /// <summary>The currency of every amount of the plan.</summary>
    /// <value>The default is <c>eur</c>.</value>
    public string Currency { get; set; } = "eur";

    /// <summary>Trial days of a new subscription to this plan; when unset, the link request or <c>DefaultTrialDays</c> decides.</summary>
    public int? TrialDays { get; set; }

    /// <summary>How long a <c>past_due</c> organization keeps its entitlements.</summary>
    /// <value>The default is 7 days.</value>
    public int GraceDays { get; set; } = 7;

    /// <summary>Per metric of the metric catalog: included quantity, overage price and limit.</summary>
    public IDictionary<string, PlanMetric> Metrics { get; set; } = new Dictionary<string, PlanMetric>(StringComparer.Ordinal);

    /// <summary>Feature flags the plan grants, for example <c>sso</c> or <c>priority_support</c>.</summary>
    public IList<string> Features { get; set; } = [];

    /// <summary>Seats: a licensed per-seat price, or <see langword="null"/> when the plan has none.</summary>
    public PlanSeats? Seats { get; set; }

    /// <summary>The metrics whose usage reports reach Stripe per report (the report metric of per-user plans).</summary>
    public IList<MeteredComponent> Metered { get; set; } = [];

    /// <summary>
    /// Hard limits per metric, a shorthand for <see cref="PlanMetric.Limit"/> with <see cref="PlanMetric.Hard"/>; a limit
    /// set in <see cref="Metrics"/> wins.
    /// </summary>
    public IDictionary<string, long> Limits { get; set; } = new Dictionary<string, long>(StringComparer.Ordinal);

    /// <summary>Whether the plan has no Stripe price at all: it needs no Stripe subscription.</summary>
    public bool IsFree =>
        string.IsNullOrEmpty(MonthlyPriceId) && string.IsNullOrEmpty(YearlyPriceId) && Seats is null
        && Metrics.Values.All(m => string.IsNullOrEmpty(m.OveragePriceId) && string.IsNullOrEmpty(m.YearlyOveragePriceId));

    /// <summary>Whether the plan can be paid yearly.</summary>
    public bool HasYearly => !string.IsNullOrEmpty(YearlyPriceId) || !string.IsNullOrEmpty(Seats?.YearlyPriceId)
        || Metrics.Values.Any(m => !string.IsNullOrEmpty(m.YearlyOveragePriceId));

    /// <summary>The metered component for a metric, or <see langword="null"/>.</summary>
    /// <param name="metric">The metric, for example <c>active_users</c>.</param>
    /// <returns>The component, if the plan meters that metric.</returns>
    public MeteredComponent? FindMetered(string metric) =>
        Metered.FirstOrDefault(m => string.Equals(m.Metric, metric, StringComparison.Ordinal));
}

/// <summary>What a plan says about one metric.</summary>
public sealed class PlanMetric
{
    /// <summary>The quantity included in the base price each period, billed at zero.</summary>
    /// <value>The default is 0.</value>
    public decimal Included { get; set; }

    /// <summary>
    /// The metered Stripe price billing this metric on a monthly subscription (a graduated tiered price whose first
    /// tier, up to <see cref="Included"/>, is free), or <see langword="null"/> when usage above the included quantity
    /// is not billed.
    /// </summary>
    public string? OveragePriceId { get; set; }

    /// <summary>The metered Stripe price billing this metric on a yearly subscription.</summary>
    public string? YearlyOveragePriceId { get; set; }

    /// <summary>The price of one unit (in the metric's unit, not its smallest unit) over the included quantity, in minor units.</summary>
    /// <value>The default is 0.</value>
    public decimal OverageUnitAmount { get; set; }

    /// <summary>The most an organization may use per period; <see langword="null"/> or <c>-1</c> means unlimited.</summary>
    public decimal? Limit { get; set; }

    /// <summary>Whether the limit refuses usage (402) or only warns.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool Hard { get; set; } = true;
}

/// <summary>A licensed per-seat price; its quantity follows a <c>Last</c> metric or is set explicitly.</summary>
public sealed class PlanSeats
{
    /// <summary>The licensed Stripe price per seat on a monthly subscription.</summary>
    public string PriceId { get; set; } = "";

    /// <summary>The licensed Stripe price per seat on a yearly subscription.</summary>
    public string? YearlyPriceId { get; set; }

    /// <summary>The price of one seat per month in minor units.</summary>
    /// <value>The default is 0.</value>
    public long MonthlyAmount { get; set; }

    /// <summary>The price of one seat per year in minor units.</summary>
    /// <value>The default is 0.</value>
    public long YearlyAmount { get; set; }

    /// <summary>A metric with <c>Last</c> aggregation whose value the seat quantity follows, or <see langword="null"/>.</summary>
    public string? Metric { get; set; }

    /// <summary>The seat quantity of a new subscription.</summary>
    /// <value>The default is 1.</value>
    public long Quantity { get; set; } = 1;

    /// <summary>
    /// How Stripe prorates a seat change made because <see cref="Metric"/> changed: <c>create_prorations</c>, <c>none</c> or
    /// <c>always_invoice</c>.
    /// </summary>
    /// <value>The default is <c>create_prorations</c> (the difference appears on the next invoice).</value>
    public string ProrationBehavior { get; set; } = "create_prorations";
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
