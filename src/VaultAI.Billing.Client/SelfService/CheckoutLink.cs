namespace VaultAI.Billing.Client;

/// <summary>The answer to a plan purchase or upgrade: a Checkout page to send the admin to, or a plan already changed in place.</summary>
public sealed record CheckoutLink
{
    /// <summary>Gets the Stripe Checkout page's URL, or <see langword="null"/> when <see cref="ChangedInPlace"/> is <see langword="true"/>.</summary>
    public Uri? Url { get; init; }

    /// <summary>
    /// Gets a value indicating whether the organization already had a payment method on file and its subscription was
    /// changed to the requested plan at once (with proration), so there is no page to visit.
    /// </summary>
    public bool ChangedInPlace { get; init; }

    /// <summary>Gets the organization's plan key after the call, when the plan was changed in place.</summary>
    public string? PlanType { get; init; }
}
