namespace VaultAI.Billing.Metering;

/// <summary>
/// A metric of the catalog, bound from <c>VaultAI:Billing:Metrics:&lt;key&gt;</c>. The key (for example
/// <c>storage_gb</c>) is what usage events name in <c>metric</c>. Metrics are configuration, not code.
/// </summary>
public sealed class MetricDefinition
{
    /// <summary>Shown to people, for example <c>Storage</c>.</summary>
    /// <value>The default is empty: the key is shown.</value>
    public string DisplayName { get; set; } = "";

    /// <summary>The unit of a quantity, for example <c>GB</c>, <c>minutes</c> or <c>users</c>.</summary>
    /// <value>The default is empty (a plain count).</value>
    public string Unit { get; set; } = "";

    /// <summary>How events combine into the period total.</summary>
    /// <value>The default is <see cref="MetricAggregation.Sum"/>.</value>
    public MetricAggregation Aggregation { get; set; } = MetricAggregation.Sum;

    /// <summary>How many decimal places a quantity may carry, 0 to 6; an event with more is rejected.</summary>
    /// <value>The default is 0 (whole numbers).</value>
    public int Decimals { get; set; }

    /// <summary>
    /// The Stripe meter's <c>event_name</c>, for a metric billed through Stripe. Leave it unset for a metric that is
    /// only tracked (or limited). The report metric reaches Stripe per report, through the plan's
    /// <see cref="Plans.BillingPlan.Metered"/> components; any other metric with a meter event name is rolled up per
    /// window and sent in its smallest unit (see <see cref="UsageRollup"/>).
    /// </summary>
    public string? MeterEventName { get; set; }
}

/// <summary>How a metric's events combine into its total over a billing period.</summary>
public enum MetricAggregation
{
    /// <summary>The sum of the quantities (minutes, tokens, GB transferred).</summary>
    Sum,

    /// <summary>The number of events; quantities are ignored.</summary>
    Count,

    /// <summary>The quantity of the event with the latest timestamp (active users, seats).</summary>
    Last,

    /// <summary>The largest quantity of the period (peak storage).</summary>
    Max,
}
