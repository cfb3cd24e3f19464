using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Stripe;

/// <summary>A Stripe subscription.</summary>
public sealed record StripeSubscription
{
    /// <summary>Gets the id (<c>sub_...</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Gets the customer id (also when Stripe sent the customer expanded).</summary>
    public string? Customer { get; init; }

    /// <summary>Gets the status: <c>trialing</c>, <c>active</c>, <c>past_due</c>, <c>unpaid</c>, <c>canceled</c>,
    /// <c>incomplete</c>, <c>incomplete_expired</c> or <c>paused</c> (kept as sent, unknown values included).</summary>
    public string? Status { get; init; }

    /// <summary>Gets the items.</summary>
    public IReadOnlyList<StripeSubscriptionItem> Items { get; init; } = [];

    /// <summary>Gets the start of the trial.</summary>
    public DateTimeOffset? TrialStart { get; init; }

    /// <summary>Gets the end of the trial.</summary>
    public DateTimeOffset? TrialEnd { get; init; }

    /// <summary>Gets the start of the current period; newer API versions only carry it on the items,
    /// then the first item's value is used.</summary>
    public DateTimeOffset? CurrentPeriodStart { get; init; }

    /// <summary>Gets the end of the current period (falls back to the first item's, like <see cref="CurrentPeriodStart"/>).</summary>
    public DateTimeOffset? CurrentPeriodEnd { get; init; }

    /// <summary>Gets a value indicating whether the subscription ends at the end of the period.</summary>
    public bool CancelAtPeriodEnd { get; init; }

    /// <summary>Gets when the subscription is scheduled to end.</summary>
    public DateTimeOffset? CancelAt { get; init; }

    /// <summary>Gets when the subscription was canceled.</summary>
    public DateTimeOffset? CanceledAt { get; init; }

    /// <summary>Gets when the subscription ended.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Gets the id of the latest invoice.</summary>
    public string? LatestInvoice { get; init; }

    /// <summary>Gets the metadata.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = EmptyMetadata.Instance;

    /// <summary>Gets when the subscription was created.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>Gets a value indicating whether the object lives in live mode.</summary>
    public bool Livemode { get; init; }
}

/// <summary>An item of a Stripe subscription.</summary>
public sealed record StripeSubscriptionItem
{
    /// <summary>Gets the id (<c>si_...</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Gets the price.</summary>
    public StripePrice? Price { get; init; }

    /// <summary>Gets the quantity (absent for metered prices).</summary>
    public long? Quantity { get; init; }

    /// <summary>Gets the start of the item's current period.</summary>
    public DateTimeOffset? CurrentPeriodStart { get; init; }

    /// <summary>Gets the end of the item's current period.</summary>
    public DateTimeOffset? CurrentPeriodEnd { get; init; }

    /// <summary>Gets the metadata.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = EmptyMetadata.Instance;
}

/// <summary>An item of a subscription create or update.</summary>
public sealed class SubscriptionItemOptions
{
    /// <summary>Gets or sets the id of an existing item (updates only).</summary>
    public string? Id { get; set; }

    /// <summary>Gets or sets the price id.</summary>
    public string? Price { get; set; }

    /// <summary>Gets or sets the quantity; leave <see langword="null"/> for metered prices.</summary>
    public long? Quantity { get; set; }

    /// <summary>Gets or sets a value indicating whether to remove the existing item <see cref="Id"/> (updates only).</summary>
    public bool? Deleted { get; set; }

    /// <summary>Gets or sets the item's metadata.</summary>
    public IDictionary<string, string?>? Metadata { get; set; }

    internal FormParams ToForm() => new FormParams()
        .Add("id", Id)
        .Add("price", Price)
        .Add("quantity", Quantity)
        .Add("deleted", Deleted)
        .Add("metadata", Metadata);
}

/// <summary>Parameters of <c>POST /v1/subscriptions</c>. Properties left <see langword="null"/> are not sent.</summary>
public sealed class SubscriptionCreateOptions
{
    /// <summary>Gets or sets the customer id.</summary>
    public string? Customer { get; set; }

    /// <summary>Gets or sets the items.</summary>
    public IList<SubscriptionItemOptions> Items { get; set; } = [];

    /// <summary>Gets or sets the trial length in days.</summary>
    public int? TrialPeriodDays { get; set; }

    /// <summary>Gets or sets when the trial ends (sent as unix seconds).</summary>
    public DateTimeOffset? TrialEnd { get; set; }

    /// <summary>Gets or sets a value indicating whether to end the trial now (<c>trial_end=now</c>); wins over <see cref="TrialEnd"/>.</summary>
    public bool TrialEndNow { get; set; }

    /// <summary>Gets or sets the metadata.</summary>
    public IDictionary<string, string?>? Metadata { get; set; }

    /// <summary>Gets or sets the payment behaviour, e.g. <c>default_incomplete</c>.</summary>
    public string? PaymentBehavior { get; set; }

    /// <summary>Gets or sets the collection method: <c>charge_automatically</c> or <c>send_invoice</c>.</summary>
    public string? CollectionMethod { get; set; }

    /// <summary>Gets or sets what happens when the trial ends without a payment method: <c>cancel</c>, <c>pause</c> or <c>create_invoice</c>.</summary>
    public string? TrialSettingsEndBehaviorMissingPaymentMethod { get; set; }

    internal FormParams ToForm()
    {
        var form = new FormParams()
            .Add("customer", Customer)
            .Add("items", Items.Count == 0 ? null : Items.Select(i => i.ToForm()).ToList())
            .Add("trial_period_days", TrialPeriodDays)
            .Add("trial_end", TrialEndNow ? "now" : (object?)TrialEnd)
            .Add("metadata", Metadata)
            .Add("payment_behavior", PaymentBehavior)
            .Add("collection_method", CollectionMethod);
        if (TrialSettingsEndBehaviorMissingPaymentMethod is not null)
        {
            form.Add("trial_settings", new FormParams().Add(
                "end_behavior", new FormParams().Add("missing_payment_method", TrialSettingsEndBehaviorMissingPaymentMethod)));
        }

        return form;
    }
}

/// <summary>Parameters of <c>POST /v1/subscriptions/{id}</c>. Properties left <see langword="null"/> are not sent.</summary>
public sealed class SubscriptionUpdateOptions
{
    /// <summary>Gets or sets item changes (an <see cref="SubscriptionItemOptions.Id"/> addresses an existing item).</summary>
    public IList<SubscriptionItemOptions>? Items { get; set; }

    /// <summary>Gets or sets a value indicating whether the subscription ends at the end of the period.</summary>
    public bool? CancelAtPeriodEnd { get; set; }

    /// <summary>Gets or sets metadata; an empty value unsets that key.</summary>
    public IDictionary<string, string?>? Metadata { get; set; }

    /// <summary>Gets or sets the proration behaviour: <c>create_prorations</c>, <c>none</c> or <c>always_invoice</c>.</summary>
    public string? ProrationBehavior { get; set; }

    /// <summary>Gets or sets the payment behaviour, e.g. <c>pending_if_incomplete</c>.</summary>
    public string? PaymentBehavior { get; set; }

    /// <summary>Gets or sets when the trial ends.</summary>
    public DateTimeOffset? TrialEnd { get; set; }

    /// <summary>Gets or sets a value indicating whether to end the trial now; wins over <see cref="TrialEnd"/>.</summary>
    public bool TrialEndNow { get; set; }

    internal FormParams ToForm() => new FormParams()
        .Add("items", Items is null || Items.Count == 0 ? null : Items.Select(i => i.ToForm()).ToList())
        .Add("cancel_at_period_end", CancelAtPeriodEnd)
        .Add("metadata", Metadata)
        .Add("proration_behavior", ProrationBehavior)
        .Add("payment_behavior", PaymentBehavior)
        .Add("trial_end", TrialEndNow ? "now" : (object?)TrialEnd);
}

/// <summary>Parameters of <c>GET /v1/subscriptions</c>.</summary>
public sealed class SubscriptionListOptions
{
    /// <summary>Gets or sets the customer id to filter by.</summary>
    public string? Customer { get; set; }

    /// <summary>Gets or sets the price id to filter by.</summary>
    public string? Price { get; set; }

    /// <summary>Gets or sets the status to filter by; <c>all</c> includes canceled subscriptions.</summary>
    /// <value>The default is <see langword="null"/>: Stripe lists all but canceled ones.</value>
    public string? Status { get; set; }

    /// <summary>Gets or sets the page size (1 to 100).</summary>
    /// <value>The default is <see langword="null"/>: 100.</value>
    public int? Limit { get; set; }

    internal FormParams ToQuery() => new FormParams().Add("customer", Customer).Add("price", Price).Add("status", Status);
}
