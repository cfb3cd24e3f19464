using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Stripe;

/// <summary>A Stripe Checkout session.</summary>
public sealed record StripeCheckoutSession
{
    /// <summary>Gets the id (<c>cs_...</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Gets the URL to redirect the buyer to (while the session is open).</summary>
    public string? Url { get; init; }

    /// <summary>Gets the customer id.</summary>
    public string? Customer { get; init; }

    /// <summary>Gets the id of the subscription created by the session.</summary>
    public string? Subscription { get; init; }

    /// <summary>Gets the client reference id given at creation.</summary>
    public string? ClientReferenceId { get; init; }

    /// <summary>Gets the mode: <c>payment</c>, <c>setup</c> or <c>subscription</c>.</summary>
    public string? Mode { get; init; }

    /// <summary>Gets the status: <c>open</c>, <c>complete</c> or <c>expired</c>.</summary>
    public string? Status { get; init; }

    /// <summary>Gets the payment status: <c>paid</c>, <c>unpaid</c> or <c>no_payment_required</c>.</summary>
    public string? PaymentStatus { get; init; }

    /// <summary>Gets the metadata.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = EmptyMetadata.Instance;
}

/// <summary>A Stripe customer portal session.</summary>
public sealed record StripePortalSession
{
    /// <summary>Gets the id (<c>bps_...</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Gets the URL to redirect the customer to.</summary>
    public string? Url { get; init; }

    /// <summary>Gets the customer id.</summary>
    public string? Customer { get; init; }

    /// <summary>Gets where the portal sends the customer back to.</summary>
    public string? ReturnUrl { get; init; }
}

/// <summary>A line of a Checkout session.</summary>
public sealed class CheckoutLineItemOptions
{
    /// <summary>Gets or sets the price id.</summary>
    public string? Price { get; set; }

    /// <summary>Gets or sets the quantity; leave <see langword="null"/> for metered prices.</summary>
    public long? Quantity { get; set; }

    internal FormParams ToForm() => new FormParams().Add("price", Price).Add("quantity", Quantity);
}

/// <summary>Parameters of <c>POST /v1/checkout/sessions</c>.</summary>
public sealed class CheckoutSessionCreateOptions
{
    /// <summary>Gets or sets the mode.</summary>
    /// <value>The default is <c>subscription</c>.</value>
    public string Mode { get; set; } = "subscription";

    /// <summary>Gets or sets the lines.</summary>
    public IList<CheckoutLineItemOptions> LineItems { get; set; } = [];

    /// <summary>Gets or sets where Stripe sends the buyer after success.</summary>
    public string? SuccessUrl { get; set; }

    /// <summary>Gets or sets where Stripe sends the buyer on cancel.</summary>
    public string? CancelUrl { get; set; }

    /// <summary>Gets or sets an existing customer id.</summary>
    public string? Customer { get; set; }

    /// <summary>Gets or sets the e-mail to prefill when no customer is given.</summary>
    public string? CustomerEmail { get; set; }

    /// <summary>Gets or sets a reference of ours (e.g. the organization id) echoed on the session.</summary>
    public string? ClientReferenceId { get; set; }

    /// <summary>Gets or sets the session's metadata.</summary>
    public IDictionary<string, string?>? Metadata { get; set; }

    /// <summary>Gets or sets the trial length of the created subscription.</summary>
    public int? SubscriptionTrialPeriodDays { get; set; }

    /// <summary>Gets or sets the metadata of the created subscription.</summary>
    public IDictionary<string, string?>? SubscriptionMetadata { get; set; }

    internal FormParams ToForm()
    {
        var subscriptionData = new FormParams()
            .Add("trial_period_days", SubscriptionTrialPeriodDays)
            .Add("metadata", SubscriptionMetadata);
        return new FormParams()
            .Add("mode", Mode)
            .Add("line_items", LineItems.Count == 0 ? null : LineItems.Select(l => l.ToForm()).ToList())
            .Add("success_url", SuccessUrl)
            .Add("cancel_url", CancelUrl)
            .Add("customer", Customer)
            .Add("customer_email", CustomerEmail)
            .Add("client_reference_id", ClientReferenceId)
            .Add("metadata", Metadata)
            .Add("subscription_data", subscriptionData.Count == 0 ? null : subscriptionData);
    }
}

/// <summary>Parameters of <c>POST /v1/billing_portal/sessions</c>.</summary>
public sealed class PortalSessionCreateOptions
{
    /// <summary>Gets or sets the customer id.</summary>
    public string? Customer { get; set; }

    /// <summary>Gets or sets where the portal sends the customer back to.</summary>
    public string? ReturnUrl { get; set; }

    internal FormParams ToForm() => new FormParams().Add("customer", Customer).Add("return_url", ReturnUrl);
}
