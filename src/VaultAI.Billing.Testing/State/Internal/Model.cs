namespace VaultAI.Billing.Testing.State.Internal;

internal abstract class Resource
{
    public required string Id { get; init; }

    public long Sequence { get; init; }

    public DateTimeOffset Created { get; init; }

    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    public void ApplyMetadata(Dictionary<string, string> changes, bool unsetAll)
    {
        if (unsetAll)
        {
            Metadata.Clear();
        }

        foreach (var (key, value) in changes)
        {
            if (value.Length == 0)
            {
                Metadata.Remove(key);
            }
            else
            {
                Metadata[key] = value;
            }
        }
    }
}

internal sealed class Customer : Resource
{
    public string? Email { get; set; }

    public string? Name { get; set; }

    public string? Description { get; set; }

    public string? Phone { get; set; }

    public PaymentOutcome Outcome { get; set; }

    public string? DefaultPaymentMethod { get; set; }

    public string? TestClockId { get; set; }

    /// <summary>The customer balance in minor units (negative: credit the next invoices consume).</summary>
    public long Balance { get; set; }

    /// <summary>The currency of the balance, set by the first balance transaction.</summary>
    public string? Currency { get; set; }
}

internal sealed class Product : Resource
{
    public required string Name { get; set; }

    public string? Description { get; set; }

    public bool Active { get; set; } = true;
}

internal sealed partial class Price : Resource
{
    public required string ProductId { get; init; }

    public required string Currency { get; init; }

    public long? UnitAmount { get; init; }

    public decimal? UnitAmountDecimal { get; init; }

    public string? Interval { get; init; }

    public int IntervalCount { get; init; } = 1;

    public string UsageType { get; init; } = "licensed";

    public string? MeterId { get; init; }

    public string? LookupKey { get; set; }

    public string? Nickname { get; set; }

    public bool Active { get; set; } = true;

    public bool IsMetered => UsageType == "metered";

    public decimal UnitDecimal => UnitAmountDecimal ?? UnitAmount ?? 0m;
}

internal sealed class Meter : Resource
{
    public required string DisplayName { get; init; }

    public required string EventName { get; init; }

    public required string Formula { get; init; }

    public string CustomerKey { get; init; } = "stripe_customer_id";

    public string ValueKey { get; init; } = "value";

    public string? EventTimeWindow { get; init; }
}

internal sealed class MeterEventRecord
{
    public required string Identifier { get; init; }

    public required string EventName { get; init; }

    public string? CustomerId { get; init; }

    public long Value { get; init; }

    public DateTimeOffset Timestamp { get; init; }

    public DateTimeOffset Created { get; init; }

    public long Sequence { get; init; }

    public required Dictionary<string, string> Payload { get; init; }
}

internal sealed class SubscriptionItem : Resource
{
    public required string SubscriptionId { get; init; }

    public required string PriceId { get; set; }

    public long? Quantity { get; set; }
}

internal sealed class Subscription : Resource
{
    public required string CustomerId { get; init; }

    public required string Status { get; set; }

    public List<SubscriptionItem> Items { get; } = [];

    public required string Currency { get; init; }

    public required string Interval { get; set; }

    public int IntervalCount { get; set; } = 1;

    /// <summary>The anchor periods are counted from (trial end, or start when there is no trial).</summary>
    public DateTimeOffset BillingCycleAnchor { get; set; }

    public int PeriodIndex { get; set; }

    public DateTimeOffset CurrentPeriodStart { get; set; }

    public DateTimeOffset CurrentPeriodEnd { get; set; }

    public DateTimeOffset StartDate { get; init; }

    public DateTimeOffset? TrialStart { get; set; }

    public DateTimeOffset? TrialEnd { get; set; }

    public bool TrialWillEndSent { get; set; }

    public bool CancelAtPeriodEnd { get; set; }

    public DateTimeOffset? CanceledAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    public string? LatestInvoiceId { get; set; }

    public string? PaymentBehavior { get; init; }

    public bool IsEnded => Status is "canceled" or "incomplete_expired";
}

internal sealed class InvoiceLine
{
    public required string Id { get; init; }

    public required string PriceId { get; init; }

    public string? SubscriptionItemId { get; init; }

    public long Quantity { get; init; }

    public long Amount { get; init; }

    /// <summary>The unit amount this line was charged at, when it differs from the price's (a tier).</summary>
    public decimal? UnitAmountDecimal { get; init; }

    public required string Description { get; init; }

    public DateTimeOffset PeriodStart { get; init; }

    public DateTimeOffset PeriodEnd { get; init; }

    /// <summary>Whether the line prorates a mid-period change (Stripe's <c>proration</c> flag).</summary>
    public bool Proration { get; init; }
}

internal sealed class Invoice : Resource
{
    public required string CustomerId { get; init; }

    public string? SubscriptionId { get; init; }

    public required string Status { get; set; }

    public required string Currency { get; init; }

    public required string BillingReason { get; init; }

    public List<InvoiceLine> Lines { get; init; } = [];

    public DateTimeOffset PeriodStart { get; init; }

    public DateTimeOffset PeriodEnd { get; init; }

    public int AttemptCount { get; set; }

    public DateTimeOffset? NextPaymentAttempt { get; set; }

    public DateTimeOffset? FinalizedAt { get; set; }

    public DateTimeOffset? PaidAt { get; set; }

    public string? Number { get; init; }

    public long Total => Lines.Sum(l => l.Amount);

    /// <summary>The customer balance when the invoice was finalized.</summary>
    public long StartingBalance { get; set; }

    /// <summary>The part of the balance the invoice consumed (negative for a credit).</summary>
    public long AppliedBalance { get; set; }

    public long AmountDue => Total + AppliedBalance;

    public long AmountPaid => Status == "paid" ? AmountDue : 0;
}

internal sealed class CheckoutSession : Resource
{
    public required string Mode { get; init; }

    public string Status { get; set; } = "open";

    public string? SuccessUrl { get; init; }

    public string? CancelUrl { get; init; }

    public string? CustomerId { get; set; }

    public string? CustomerEmail { get; init; }

    public string? ClientReferenceId { get; init; }

    public List<(string PriceId, long? Quantity)> LineItems { get; } = [];

    public long? TrialPeriodDays { get; init; }

    public Dictionary<string, string> SubscriptionMetadata { get; } = new(StringComparer.Ordinal);

    public string? SubscriptionId { get; set; }

    public DateTimeOffset ExpiresAt { get; init; }

    public required string Url { get; init; }
}

internal sealed class PortalSession : Resource
{
    public required string CustomerId { get; init; }

    public string? ReturnUrl { get; init; }

    public required string Url { get; init; }
}

internal sealed class EventRecord
{
    public required string Id { get; init; }

    public required string Type { get; init; }

    public DateTimeOffset Created { get; init; }

    public long Sequence { get; init; }

    public required string Json { get; init; }
}

internal sealed class MeterEventSession
{
    public required string Id { get; init; }

    public required string Token { get; init; }

    public DateTimeOffset Created { get; init; }

    public DateTimeOffset ExpiresAt { get; init; }
}

internal sealed record IdempotentResult(string Fingerprint, int Status, string Body);

internal sealed class TestClock : Resource
{
    public string? Name { get; init; }

    public DateTimeOffset FrozenTime { get; set; }

    public DateTimeOffset? TargetFrozenTime { get; set; }

    public string Status { get; set; } = "ready";

    public bool Deleted { get; set; }
}
