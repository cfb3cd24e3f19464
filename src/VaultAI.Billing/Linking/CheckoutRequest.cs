namespace VaultAI.Billing.Linking;

/// <summary>A Stripe Checkout link for a pending organization: the customer enters a payment method and the subscription starts.</summary>
public sealed record CheckoutRequest
{
    /// <summary>A plan key of the catalog.</summary>
    public required string PlanKey { get; init; }

    /// <summary><c>on-premise</c> or <c>managed-cloud</c>; recorded on the organization when checkout completes.</summary>
    public required string DeploymentType { get; init; }

    /// <summary>Where Stripe sends the customer after paying (absolute http(s) URL).</summary>
    public required string SuccessUrl { get; init; }

    /// <summary>Where Stripe sends the customer who leaves checkout (absolute http(s) URL).</summary>
    public required string CancelUrl { get; init; }

    /// <summary>Pre-fills the customer's e-mail.</summary>
    public string? CustomerEmail { get; init; }

    /// <summary>Trial days; <see langword="null"/> uses the configured default.</summary>
    public int? TrialDays { get; init; }

    /// <summary><c>monthly</c> (default) or <c>yearly</c>.</summary>
    public string? BillingInterval { get; init; }
}

/// <summary>A URL to send a customer to, from Stripe Checkout or the billing portal.</summary>
/// <param name="Url">The Stripe-hosted page.</param>
/// <param name="SessionId">Stripe's session id (<c>cs_...</c> or <c>bps_...</c>).</param>
public sealed record StripeSessionLink(string Url, string SessionId);
