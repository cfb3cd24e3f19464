using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Stripe;

/// <summary>A Stripe product.</summary>
public sealed record StripeProduct
{
    /// <summary>Gets the id (<c>prod_...</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Gets the name.</summary>
    public string? Name { get; init; }

    /// <summary>Gets the description.</summary>
    public string? Description { get; init; }

    /// <summary>Gets a value indicating whether the product can be bought.</summary>
    public bool Active { get; init; }

    /// <summary>Gets the metadata.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = EmptyMetadata.Instance;
}

/// <summary>A Stripe price.</summary>
public sealed record StripePrice
{
    /// <summary>Gets the id (<c>price_...</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Gets the product id (also when Stripe sent the product expanded).</summary>
    public string? Product { get; init; }

    /// <summary>Gets the three-letter ISO currency code, lowercase.</summary>
    public string? Currency { get; init; }

    /// <summary>Gets the unit amount in minor units, when it is whole.</summary>
    public long? UnitAmount { get; init; }

    /// <summary>Gets the unit amount in minor units as a decimal string (e.g. <c>0.5</c>).</summary>
    public string? UnitAmountDecimal { get; init; }

    /// <summary>Gets the lookup key.</summary>
    public string? LookupKey { get; init; }

    /// <summary>Gets a value indicating whether the price can be used for new purchases.</summary>
    public bool Active { get; init; }

    /// <summary>Gets the recurring settings (absent for one-time prices).</summary>
    public StripeRecurring? Recurring { get; init; }

    /// <summary>Gets the metadata.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = EmptyMetadata.Instance;

    /// <summary>Gets the nickname.</summary>
    public string? Nickname { get; init; }
}

/// <summary>The recurring settings of a price.</summary>
public sealed record StripeRecurring
{
    /// <summary>Gets the billing interval: <c>day</c>, <c>week</c>, <c>month</c> or <c>year</c>.</summary>
    public string? Interval { get; init; }

    /// <summary>Gets the number of intervals between two bills.</summary>
    public long IntervalCount { get; init; } = 1;

    /// <summary>Gets the usage type: <c>licensed</c> or <c>metered</c>.</summary>
    public string? UsageType { get; init; }

    /// <summary>Gets the id of the billing meter of a metered price.</summary>
    public string? Meter { get; init; }
}

/// <summary>Parameters of <c>POST /v1/products</c>.</summary>
public sealed class ProductCreateOptions
{
    /// <summary>Gets or sets the name (required).</summary>
    public string? Name { get; set; }

    /// <summary>Gets or sets the description.</summary>
    public string? Description { get; set; }

    /// <summary>Gets or sets the metadata.</summary>
    public IDictionary<string, string?>? Metadata { get; set; }

    internal FormParams ToForm() => new FormParams().Add("name", Name).Add("description", Description).Add("metadata", Metadata);
}

/// <summary>Parameters of <c>GET /v1/products</c>.</summary>
public sealed class ProductListOptions
{
    /// <summary>Gets or sets the active flag to filter by.</summary>
    public bool? Active { get; set; }

    /// <summary>Gets or sets the page size (1 to 100).</summary>
    /// <value>The default is <see langword="null"/>: 100.</value>
    public int? Limit { get; set; }

    internal FormParams ToQuery() => new FormParams().Add("active", Active);
}

/// <summary>Parameters of <c>POST /v1/prices</c>. Properties left <see langword="null"/> are not sent.</summary>
public sealed class PriceCreateOptions
{
    /// <summary>Gets or sets the product id.</summary>
    public string? Product { get; set; }

    /// <summary>Gets or sets the currency, e.g. <c>usd</c>.</summary>
    public string? Currency { get; set; }

    /// <summary>Gets or sets the unit amount in minor units.</summary>
    public long? UnitAmount { get; set; }

    /// <summary>Gets or sets the unit amount in minor units with up to 12 decimals, e.g. <c>0.5</c>.</summary>
    public string? UnitAmountDecimal { get; set; }

    /// <summary>Gets or sets the nickname.</summary>
    public string? Nickname { get; set; }

    /// <summary>Gets or sets the lookup key.</summary>
    public string? LookupKey { get; set; }

    /// <summary>Gets or sets a value indicating whether to move the lookup key from the price that holds it.</summary>
    public bool? TransferLookupKey { get; set; }

    /// <summary>Gets or sets the recurring interval (<c>month</c>, ...); null for a one-time price.</summary>
    public string? RecurringInterval { get; set; }

    /// <summary>Gets or sets the number of intervals between two bills.</summary>
    public int? RecurringIntervalCount { get; set; }

    /// <summary>Gets or sets the usage type: <c>licensed</c> or <c>metered</c>.</summary>
    public string? RecurringUsageType { get; set; }

    /// <summary>Gets or sets the billing meter id of a metered price.</summary>
    public string? RecurringMeter { get; set; }

    /// <summary>Gets or sets the metadata.</summary>
    public IDictionary<string, string?>? Metadata { get; set; }

    internal FormParams ToForm()
    {
        var recurring = new FormParams()
            .Add("interval", RecurringInterval)
            .Add("interval_count", RecurringIntervalCount)
            .Add("usage_type", RecurringUsageType)
            .Add("meter", RecurringMeter);
        return new FormParams()
            .Add("currency", Currency)
            .Add("unit_amount", UnitAmount)
            .Add("unit_amount_decimal", UnitAmountDecimal)
            .Add("product", Product)
            .Add("recurring", recurring.Count == 0 ? null : recurring)
            .Add("nickname", Nickname)
            .Add("lookup_key", LookupKey)
            .Add("transfer_lookup_key", TransferLookupKey)
            .Add("metadata", Metadata);
    }
}

/// <summary>Parameters of <c>GET /v1/prices</c>.</summary>
public sealed class PriceListOptions
{
    /// <summary>Gets or sets lookup keys to filter by (<c>lookup_keys[0]=...</c>).</summary>
    public IList<string>? LookupKeys { get; set; }

    /// <summary>Gets or sets the active flag to filter by.</summary>
    public bool? Active { get; set; }

    /// <summary>Gets or sets the product id to filter by.</summary>
    public string? Product { get; set; }

    /// <summary>Gets or sets the page size (1 to 100).</summary>
    /// <value>The default is <see langword="null"/>: 100.</value>
    public int? Limit { get; set; }

    internal FormParams ToQuery() => new FormParams()
        .Add("lookup_keys", LookupKeys is { Count: > 0 } ? LookupKeys : null)
        .Add("active", Active)
        .Add("product", Product);
}
