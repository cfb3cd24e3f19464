namespace VaultAI.Billing.Events;

/// <summary>One entry of the billing event log: a state change or an administrator's action. Entries are never changed or deleted.</summary>
public sealed class BillingEvent
{
    /// <summary>The event id (what handlers deduplicate on).</summary>
    public Guid Id { get; set; }

    /// <summary>The organization, if the event is about one.</summary>
    public Guid? OrganizationId { get; set; }

    /// <summary>The type, one of <see cref="BillingEventTypes"/>.</summary>
    public string Type { get; set; } = "";

    /// <summary>Who did it: <c>stripe</c>, <c>system</c>, <c>instance</c>, or <c>admin:&lt;name&gt;</c>.</summary>
    public string Actor { get; set; } = "";

    /// <summary>When it happened.</summary>
    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>Details as a JSON object (never a secret).</summary>
    public string Data { get; set; } = "{}";

    /// <summary>
    /// When set, at most one event with this key is ever recorded (for example the 80 % quota event of one period, or the
    /// events of one Stripe event id); recording it again changes nothing.
    /// </summary>
    public string? DeduplicationKey { get; set; }
}

/// <summary>The types of <see cref="BillingEvent"/>.</summary>
public static class BillingEventTypes
{
    /// <summary>An organization registered.</summary>
    public const string Registered = "registered";

    /// <summary>An organization was linked to a Stripe subscription.</summary>
    public const string Linked = "linked";

    /// <summary>The plan changed.</summary>
    public const string PlanChanged = "plan_changed";

    /// <summary>Stripe announced that the trial ends soon (<c>customer.subscription.trial_will_end</c>).</summary>
    public const string TrialEnding = "trial_ending";

    /// <summary>A payment failed (<c>invoice.payment_failed</c>).</summary>
    public const string PaymentFailed = "payment_failed";

    /// <summary>An invoice was paid (<c>invoice.paid</c>).</summary>
    public const string InvoicePaid = "invoice_paid";

    /// <summary>The organization became past due: its grace period starts.</summary>
    public const string PastDue = "past_due";

    /// <summary>The grace period ended: the organization is no longer entitled.</summary>
    public const string Suspended = "suspended";

    /// <summary>A past-due (or suspended) organization paid and is entitled again.</summary>
    public const string Resumed = "resumed";

    /// <summary>The subscription was canceled.</summary>
    public const string Canceled = "canceled";

    /// <summary>The organization's billing token was rotated.</summary>
    public const string TokenRotated = "token_rotated";

    /// <summary>A metric's period total reached 80 % of the plan's limit (once per period).</summary>
    public const string QuotaWarning = "quota_80_reached";

    /// <summary>A metric's period total reached 100 % of the plan's limit (once per period).</summary>
    public const string QuotaReached = "quota_100_reached";

    /// <summary>Usage went over a soft limit (allowed).</summary>
    public const string OverQuota = "over_quota";
}
