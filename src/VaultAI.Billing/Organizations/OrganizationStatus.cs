namespace VaultAI.Billing.Organizations;

/// <summary>The billing statuses an organization can have, as sent on the wire.</summary>
public static class OrganizationStatus
{
    /// <summary>Registered or reporting, not yet linked to Stripe.</summary>
    public const string Pending = "pending";

    /// <summary>Stripe <c>trialing</c>.</summary>
    public const string Trial = "trial";

    /// <summary>Stripe <c>active</c>.</summary>
    public const string Active = "active";

    /// <summary>Stripe <c>past_due</c>: a payment failed and Stripe is retrying.</summary>
    public const string PastDue = "past_due";

    /// <summary>Stripe <c>unpaid</c>.</summary>
    public const string Unpaid = "unpaid";

    /// <summary>Stripe <c>canceled</c> or <c>incomplete_expired</c>.</summary>
    public const string Canceled = "canceled";

    /// <summary>Stripe <c>incomplete</c>.</summary>
    public const string Incomplete = "incomplete";

    /// <summary>Stripe <c>paused</c>.</summary>
    public const string Paused = "paused";

    /// <summary>Maps a Stripe subscription status to the organization status.</summary>
    /// <param name="stripeStatus">The Stripe status, for example <c>trialing</c>.</param>
    /// <returns>The organization status; an unknown Stripe status is kept as it is.</returns>
    public static string FromStripe(string? stripeStatus) => stripeStatus switch
    {
        "trialing" => Trial,
        "active" => Active,
        "past_due" => PastDue,
        "unpaid" => Unpaid,
        "canceled" or "incomplete_expired" => Canceled,
        "incomplete" => Incomplete,
        "paused" => Paused,
        null or "" => Pending,
        _ => stripeStatus,
    };
}
