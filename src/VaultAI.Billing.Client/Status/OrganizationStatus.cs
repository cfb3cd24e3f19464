using System.Text.Json;

namespace VaultAI.Billing.Client;

/// <summary>The organization's billing status as last reported by the billing host.</summary>
public sealed record OrganizationStatus
{
    /// <summary>Gets the organization id.</summary>
    public required Guid OrganizationId { get; init; }

    /// <summary>Gets the organization's display name.</summary>
    public string? OrganizationName { get; init; }

    /// <summary>Gets the subscription status: <c>pending</c>, <c>trial</c>, <c>active</c>, <c>past_due</c>, <c>unpaid</c>, <c>canceled</c>, <c>incomplete</c> or <c>paused</c>.</summary>
    public required string SubscriptionStatus { get; init; }

    /// <summary>Gets a value indicating whether a trial is running.</summary>
    public bool TrialActive { get; init; }

    /// <summary>Gets the end of the trial, if any.</summary>
    public DateTimeOffset? TrialEnd { get; init; }

    /// <summary>Gets the plan set by the administrator (<c>self-hosted</c> or <c>managed-cloud</c>), if any.</summary>
    public string? PlanType { get; init; }

    /// <summary>Gets the deployment type set by the administrator (<c>on-premise</c> or <c>managed-cloud</c>), if any.</summary>
    public string? DeploymentType { get; init; }

    /// <summary>Gets the Stripe subscription's status and current period, once linked.</summary>
    public SubscriptionPeriod? StripeSubscription { get; init; }

    /// <summary>Gets the entitlements object as sent by the host, if any (its shape is defined by the host's plan catalog).</summary>
    public JsonElement? Entitlements { get; init; }

    /// <summary>Gets when this status was retrieved from the billing host.</summary>
    public required DateTimeOffset RetrievedAt { get; init; }

    /// <summary>
    /// Gets a value indicating whether this is a cached status served because the billing host could not be reached.
    /// The instance decides how long it tolerates a stale status (compare <see cref="RetrievedAt"/> with now).
    /// </summary>
    public bool IsStale { get; init; }
}

/// <summary>The Stripe subscription's status and current billing period.</summary>
/// <param name="Status">The Stripe subscription status.</param>
/// <param name="CurrentPeriodStart">The start of the current period.</param>
/// <param name="CurrentPeriodEnd">The end of the current period.</param>
public sealed record SubscriptionPeriod(string? Status, DateTimeOffset? CurrentPeriodStart, DateTimeOffset? CurrentPeriodEnd);
