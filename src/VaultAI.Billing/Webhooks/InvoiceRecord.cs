namespace VaultAI.Billing.Webhooks;

/// <summary>A mirror of a Stripe invoice, kept from invoice webhooks. Money in minor units.</summary>
public sealed class InvoiceRecord
{
    /// <summary>
    /// The metered overage this invoice bills, in minor units: the sum of its lines on the overage prices of the
    /// organization's plan (what <c>GET /api/admin/revenue</c> counts as last period's overage).
    /// </summary>
    public long OverageAmount { get; set; }

    /// <summary>Stripe's invoice id (<c>in_...</c>).</summary>
    public string Id { get; set; } = "";

    /// <summary>The organization billed.</summary>
    public Guid OrganizationId { get; set; }

    /// <summary>The invoice number, once finalized.</summary>
    public string? Number { get; set; }

    /// <summary>Stripe's invoice status (<c>draft, open, paid, uncollectible, void</c>).</summary>
    public string Status { get; set; } = "";

    /// <summary>Amount due, in minor units.</summary>
    public long AmountDue { get; set; }

    /// <summary>Amount paid, in minor units.</summary>
    public long AmountPaid { get; set; }

    /// <summary>Three-letter ISO currency code, lowercase as Stripe sends it.</summary>
    public string Currency { get; set; } = "";

    /// <summary>Start of the invoiced period.</summary>
    public DateTimeOffset? PeriodStart { get; set; }

    /// <summary>End of the invoiced period.</summary>
    public DateTimeOffset? PeriodEnd { get; set; }

    /// <summary>Stripe's hosted invoice page.</summary>
    public string? HostedInvoiceUrl { get; set; }

    /// <summary>The invoice PDF.</summary>
    public string? InvoicePdf { get; set; }

    /// <summary>The <c>created</c> time of the newest event applied to this invoice.</summary>
    public DateTimeOffset LastEventAt { get; set; }

    /// <summary>When the row last changed.</summary>
    public DateTimeOffset UpdatedAt { get; set; }
}
