namespace VaultAI.Billing.Organizations;

/// <summary>
/// One billed customer: a VaultAI instance and its organization. The id comes from the instance;
/// everything that affects billing (plan, deployment type, Stripe ids) is set by an administrator
/// or by Stripe, never trusted from the instance.
/// </summary>
public sealed class Organization
{
    /// <summary>The organization id (a UUID chosen by the instance).</summary>
    public Guid Id { get; set; }

    /// <summary>The name the instance last reported. Recorded for people; never used for billing decisions.</summary>
    public string Name { get; set; } = "";

    /// <summary>The instance URL last reported. Recorded for people; never used for billing decisions.</summary>
    public string? InstanceUrl { get; set; }

    /// <summary>The billing contact e-mail, set when linking.</summary>
    public string? AdminEmail { get; set; }

    /// <summary>The Stripe customer id, or <see langword="null"/> while the organization is pending.</summary>
    public string? StripeCustomerId { get; set; }

    /// <summary>The Stripe subscription id, or <see langword="null"/> while the organization is pending.</summary>
    public string? StripeSubscriptionId { get; set; }

    /// <summary>The deployment type (<c>on-premise</c> or <c>managed-cloud</c>), set by an administrator.</summary>
    public string? DeploymentType { get; set; }

    /// <summary>The plan key in the plan catalog, set by an administrator.</summary>
    public string? PlanKey { get; set; }

    /// <summary>The billing status: <see cref="OrganizationStatus.Pending"/> until linked, then Stripe's status mapped.</summary>
    public string Status { get; set; } = OrganizationStatus.Pending;

    /// <summary>The raw Stripe subscription status last applied (for example <c>trialing</c>).</summary>
    public string? StripeSubscriptionStatus { get; set; }

    /// <summary>When the trial ends, if the subscription has one.</summary>
    public DateTimeOffset? TrialEnd { get; set; }

    /// <summary>When Stripe announced that the trial will end soon (<c>customer.subscription.trial_will_end</c>).</summary>
    public DateTimeOffset? TrialWillEndNotifiedAt { get; set; }

    /// <summary>Start of the current billing period.</summary>
    public DateTimeOffset? CurrentPeriodStart { get; set; }

    /// <summary>End of the current billing period.</summary>
    public DateTimeOffset? CurrentPeriodEnd { get; set; }

    /// <summary>
    /// The subscription's billing interval as Stripe names it (<c>month</c> or <c>year</c>), from its base price;
    /// <see langword="null"/> without a subscription.
    /// </summary>
    public string? BillingInterval { get; set; }

    /// <summary>
    /// The quantity of the subscription's licensed (per-seat or fixed-fee) item, or <see langword="null"/> when every item
    /// is metered or there is no subscription.
    /// </summary>
    public long? LicensedQuantity { get; set; }

    /// <summary>Whether the subscription cancels at the end of the period.</summary>
    public bool CancelAtPeriodEnd { get; set; }

    /// <summary>The <c>created</c> time of the newest Stripe subscription event applied, so older events never move state backwards.</summary>
    public DateTimeOffset? LastSubscriptionEventAt { get; set; }

    /// <summary>The id of the newest Stripe subscription event applied.</summary>
    public string? LastSubscriptionEventId { get; set; }

    /// <summary>When the organization became past due (start of its grace period).</summary>
    public DateTimeOffset? PastDueSince { get; set; }

    /// <summary>The number of active users in the last accepted report.</summary>
    public long? LastUserCount { get; set; }

    /// <summary>When the last accepted report was received.</summary>
    public DateTimeOffset? LastReportAt { get; set; }

    /// <summary>When the organization first registered or reported.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the organization was linked to Stripe.</summary>
    public DateTimeOffset? LinkedAt { get; set; }

    /// <summary>When the row last changed.</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Optimistic concurrency token, incremented on every update.</summary>
    public long Version { get; set; }

    /// <summary>Whether the organization is linked to a Stripe customer and subscription.</summary>
    public bool IsLinked => StripeCustomerId is not null && StripeSubscriptionId is not null;
}
