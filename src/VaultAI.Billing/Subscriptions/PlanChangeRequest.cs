namespace VaultAI.Billing.Subscriptions;

/// <summary>A change of an organization's plan or billing interval.</summary>
public sealed class PlanChangeRequest
{
    /// <summary>The plan key to move to (<c>plan_type</c> on the wire).</summary>
    public string PlanKey { get; set; } = "";

    /// <summary><c>monthly</c> or <c>yearly</c>; <see langword="null"/> keeps the current interval (monthly when there is none).</summary>
    public string? BillingInterval { get; set; }

    /// <summary>
    /// How Stripe bills the change mid-period: <c>create_prorations</c> (credit and charge on the next invoice),
    /// <c>none</c>, or <c>always_invoice</c> (an invoice at once).
    /// </summary>
    /// <value>The default, <see langword="null"/>, is <c>create_prorations</c>.</value>
    public string? ProrationBehavior { get; set; }
}
