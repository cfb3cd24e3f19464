using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Stripe;

/// <summary>A Stripe invoice. Amounts are in minor units of <see cref="Currency"/>.</summary>
public sealed record StripeInvoice
{
    /// <summary>Gets the id (<c>in_...</c>); absent on a preview.</summary>
    public string? Id { get; init; }

    /// <summary>Gets the invoice number.</summary>
    public string? Number { get; init; }

    /// <summary>Gets the customer id.</summary>
    public string? Customer { get; init; }

    /// <summary>Gets the subscription id (read from <c>parent.subscription_details</c> on newer API versions).</summary>
    public string? Subscription { get; init; }

    /// <summary>Gets the status: <c>draft</c>, <c>open</c>, <c>paid</c>, <c>uncollectible</c> or <c>void</c>.</summary>
    public string? Status { get; init; }

    /// <summary>Gets the amount due.</summary>
    public long AmountDue { get; init; }

    /// <summary>Gets the amount paid.</summary>
    public long AmountPaid { get; init; }

    /// <summary>Gets the amount remaining.</summary>
    public long AmountRemaining { get; init; }

    /// <summary>Gets the total.</summary>
    public long Total { get; init; }

    /// <summary>Gets the currency.</summary>
    public string? Currency { get; init; }

    /// <summary>Gets the start of the invoiced period.</summary>
    public DateTimeOffset? PeriodStart { get; init; }

    /// <summary>Gets the end of the invoiced period.</summary>
    public DateTimeOffset? PeriodEnd { get; init; }

    /// <summary>Gets the hosted invoice page.</summary>
    public string? HostedInvoiceUrl { get; init; }

    /// <summary>Gets the PDF link.</summary>
    public string? InvoicePdf { get; init; }

    /// <summary>Gets when the invoice was created.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>Gets the lines included in the object (the first page of them).</summary>
    public IReadOnlyList<StripeInvoiceLine> Lines { get; init; } = [];

    /// <summary>Gets the metadata.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = EmptyMetadata.Instance;
}

/// <summary>A line of a Stripe invoice.</summary>
public sealed record StripeInvoiceLine
{
    /// <summary>Gets the id.</summary>
    public string? Id { get; init; }

    /// <summary>Gets the amount in minor units.</summary>
    public long Amount { get; init; }

    /// <summary>Gets the description.</summary>
    public string? Description { get; init; }

    /// <summary>Gets the quantity.</summary>
    public long? Quantity { get; init; }

    /// <summary>Gets the start of the line's period.</summary>
    public DateTimeOffset? PeriodStart { get; init; }

    /// <summary>Gets the end of the line's period.</summary>
    public DateTimeOffset? PeriodEnd { get; init; }

    /// <summary>Gets the price id (read from <c>pricing.price_details</c> on newer API versions).</summary>
    public string? PriceId { get; init; }
}

/// <summary>Parameters of <c>GET /v1/invoices</c>.</summary>
public sealed class InvoiceListOptions
{
    /// <summary>Gets or sets the customer id to filter by.</summary>
    public string? Customer { get; set; }

    /// <summary>Gets or sets the subscription id to filter by.</summary>
    public string? Subscription { get; set; }

    /// <summary>Gets or sets the status to filter by.</summary>
    public string? Status { get; set; }

    /// <summary>Gets or sets the page size (1 to 100).</summary>
    /// <value>The default is <see langword="null"/>: 100.</value>
    public int? Limit { get; set; }

    internal FormParams ToQuery() => new FormParams().Add("customer", Customer).Add("subscription", Subscription).Add("status", Status);
}

/// <summary>Parameters of <c>POST /v1/invoices/create_preview</c> (which replaced <c>/v1/invoices/upcoming</c> in 2025-03-31.basil).</summary>
public sealed class InvoicePreviewOptions
{
    /// <summary>Gets or sets the customer id.</summary>
    public string? Customer { get; set; }

    /// <summary>Gets or sets the subscription id (required by newer API versions together with the customer).</summary>
    public string? Subscription { get; set; }

    internal FormParams ToForm() => new FormParams().Add("customer", Customer).Add("subscription", Subscription);
}
