namespace VaultAI.Billing.Client;

/// <summary>One page of the organization's invoices, newest first.</summary>
public sealed record InvoicePage
{
    /// <summary>Gets the invoices of this page, newest first.</summary>
    public IReadOnlyList<InvoiceSummary> Invoices { get; init; } = [];

    /// <summary>Gets a value indicating whether older invoices follow; ask for them with the last invoice's id as <c>startingAfter</c>.</summary>
    public bool HasMore { get; init; }
}

/// <summary>One invoice of the organization. Amounts are in the currency's minor unit (cents).</summary>
public sealed record InvoiceSummary
{
    /// <summary>Gets the Stripe invoice id (<c>in_...</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Gets the invoice number printed on it, once finalized.</summary>
    public string? Number { get; init; }

    /// <summary>Gets the status: <c>draft</c>, <c>open</c>, <c>paid</c>, <c>uncollectible</c> or <c>void</c>.</summary>
    public string? Status { get; init; }

    /// <summary>Gets the amount due after credits.</summary>
    public long AmountDue { get; init; }

    /// <summary>Gets the amount paid.</summary>
    public long AmountPaid { get; init; }

    /// <summary>Gets the invoice total, before the customer's credit balance is applied.</summary>
    public long Total { get; init; }

    /// <summary>Gets the ISO currency code in lower case.</summary>
    public string? Currency { get; init; }

    /// <summary>Gets the start of the billed period.</summary>
    public DateTimeOffset? PeriodStart { get; init; }

    /// <summary>Gets the end of the billed period.</summary>
    public DateTimeOffset? PeriodEnd { get; init; }

    /// <summary>Gets the Stripe-hosted page where the invoice can be viewed and paid.</summary>
    public Uri? HostedInvoiceUrl { get; init; }

    /// <summary>Gets the URL of the invoice's PDF.</summary>
    public Uri? InvoicePdf { get; init; }
}
