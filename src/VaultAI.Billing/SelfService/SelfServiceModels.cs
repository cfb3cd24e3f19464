namespace VaultAI.Billing.SelfService;

/// <summary>An organization's subscription as its own admin sees it (<c>GET /api/organizations/{id}/subscription</c>).</summary>
public sealed record SubscriptionOverview
{
    /// <summary>The organization.</summary>
    public required Guid OrganizationId { get; init; }

    /// <summary>The plan key, or <see langword="null"/> without one.</summary>
    public string? PlanType { get; init; }

    /// <summary>The plan's display name, or <see langword="null"/> without a plan.</summary>
    public string? PlanName { get; init; }

    /// <summary><c>monthly</c> or <c>yearly</c>, or <see langword="null"/> without a subscription.</summary>
    public string? BillingInterval { get; init; }

    /// <summary>The organization's status (<see cref="Organizations.OrganizationStatus"/>).</summary>
    public required string Status { get; init; }

    /// <summary>The end of the trial, if any.</summary>
    public DateTimeOffset? TrialEnd { get; init; }

    /// <summary>The start of the current period, once subscribed.</summary>
    public DateTimeOffset? CurrentPeriodStart { get; init; }

    /// <summary>The end of the current period, once subscribed.</summary>
    public DateTimeOffset? CurrentPeriodEnd { get; init; }

    /// <summary>Whether the subscription ends at the end of the period.</summary>
    public bool CancelAtPeriodEnd { get; init; }

    /// <summary>The quantity of the licensed (seat) item, if any.</summary>
    public long? Seats { get; init; }

    /// <summary>Stripe's preview of the next invoice, or <see langword="null"/> when none is coming or Stripe could not be asked.</summary>
    public UpcomingInvoice? NextInvoice { get; init; }

    /// <summary>Each metric of the catalog: the period's total against the plan.</summary>
    public required IReadOnlyList<MetricAllowance> Metrics { get; init; }
}

/// <summary>The next invoice's preview.</summary>
/// <param name="AmountDue">The amount due after the credit balance, in minor units.</param>
/// <param name="Currency">The currency, lower case.</param>
/// <param name="Date">When Stripe will issue it.</param>
public sealed record UpcomingInvoice(long AmountDue, string Currency, DateTimeOffset? Date);

/// <summary>One metric's total in the period against the plan.</summary>
/// <param name="Metric">The metric key.</param>
/// <param name="Current">The period's total so far.</param>
/// <param name="Limit">The plan's limit, or <see langword="null"/> when unlimited.</param>
/// <param name="Included">The quantity included in the base price, or <see langword="null"/> when none.</param>
public sealed record MetricAllowance(string Metric, decimal Current, decimal? Limit, decimal? Included);

/// <summary>A plan purchase or change asked by the organization itself.</summary>
public sealed record SelfServiceCheckoutRequest
{
    /// <summary>A plan key of the catalog (<c>plan_type</c>).</summary>
    public required string PlanType { get; init; }

    /// <summary><c>monthly</c> or <c>yearly</c> (<c>billing_interval</c>).</summary>
    public required string BillingInterval { get; init; }

    /// <summary>Where Checkout sends the customer after paying; within the allowed origins.</summary>
    public required string SuccessUrl { get; init; }

    /// <summary>Where Checkout sends the customer who leaves; within the allowed origins.</summary>
    public required string CancelUrl { get; init; }
}

/// <summary>The answer to <see cref="IBillingSelfService.CheckoutAsync"/>.</summary>
/// <param name="Url">The Checkout page, or <see langword="null"/> when the plan was changed in place.</param>
/// <param name="SessionId">The Checkout session id (<c>cs_...</c>), or <see langword="null"/>.</param>
/// <param name="ChangedInPlace">Whether the subscription was moved to the plan at once, the payment method on file paying.</param>
/// <param name="PlanType">The organization's plan after a change in place; the requested plan otherwise.</param>
public sealed record CheckoutOutcome(Uri? Url, string? SessionId, bool ChangedInPlace, string? PlanType);

/// <summary>A page of invoices, newest first.</summary>
/// <param name="Invoices">The invoices.</param>
/// <param name="HasMore">Whether older invoices follow (ask with the last id as <c>starting_after</c>).</param>
public sealed record InvoicePage(IReadOnlyList<InvoiceSummary> Invoices, bool HasMore);

/// <summary>An invoice; amounts in minor units.</summary>
/// <param name="Id">Stripe's id (<c>in_...</c>).</param>
/// <param name="Number">The number printed on it, once finalized.</param>
/// <param name="Status"><c>draft</c>, <c>open</c>, <c>paid</c>, <c>uncollectible</c> or <c>void</c>.</param>
/// <param name="AmountDue">The amount due after the credit balance.</param>
/// <param name="AmountPaid">The amount paid.</param>
/// <param name="Total">The total before the credit balance.</param>
/// <param name="Currency">The currency, lower case.</param>
/// <param name="PeriodStart">The start of the billed period.</param>
/// <param name="PeriodEnd">The end of the billed period.</param>
/// <param name="HostedInvoiceUrl">Stripe's page for the invoice.</param>
/// <param name="InvoicePdf">The PDF's URL.</param>
public sealed record InvoiceSummary(
    string Id,
    string? Number,
    string? Status,
    long AmountDue,
    long AmountPaid,
    long Total,
    string? Currency,
    DateTimeOffset? PeriodStart,
    DateTimeOffset? PeriodEnd,
    string? HostedInvoiceUrl,
    string? InvoicePdf);

/// <summary>A card on file.</summary>
/// <param name="Id">Stripe's id (<c>pm_...</c>).</param>
/// <param name="Brand">The card brand, for example <c>visa</c>.</param>
/// <param name="Last4">The last four digits.</param>
/// <param name="ExpMonth">The expiry month.</param>
/// <param name="ExpYear">The expiry year.</param>
/// <param name="IsDefault">Whether invoices are charged to it by default.</param>
public sealed record PaymentMethodSummary(string Id, string? Brand, string? Last4, int? ExpMonth, int? ExpYear, bool IsDefault);

/// <summary>The credit balance: positive when the organization has credit (Stripe's customer balance with the sign reversed).</summary>
/// <param name="Balance">The credit available in minor units; negative when the organization owes an amount added to its next invoice.</param>
/// <param name="Currency">The balance's currency, or <see langword="null"/> while it never moved.</param>
/// <param name="History">The movements, newest first.</param>
public sealed record CreditBalance(long Balance, string? Currency, IReadOnlyList<CreditTransaction> History);

/// <summary>One movement of the credit balance.</summary>
/// <param name="Id">Stripe's customer balance transaction id (<c>cbtxn_...</c>).</param>
/// <param name="Amount">Positive when credit was granted, negative when removed or consumed by an invoice (minor units).</param>
/// <param name="Currency">The currency, lower case.</param>
/// <param name="Description">The reason given, or what consumed it.</param>
/// <param name="Created">When.</param>
public sealed record CreditTransaction(string Id, long Amount, string Currency, string? Description, DateTimeOffset Created);

/// <summary>Credit to grant (positive) or remove (negative).</summary>
/// <param name="Amount">Minor units, not 0, at most 100,000,000 either way.</param>
/// <param name="Currency">Three-letter ISO code, for example <c>eur</c>; the customer's balance currency once it has one.</param>
/// <param name="Reason">Why (1 to 350 characters), shown to the customer with the movement.</param>
public sealed record CreditGrant(long Amount, string Currency, string Reason);
