namespace VaultAI.Billing.Testing;

/// <summary>A snapshot of an emulated customer.</summary>
/// <param name="Id">The <c>cus_</c> id.</param>
/// <param name="Email">The email, if set.</param>
/// <param name="Name">The name, if set.</param>
/// <param name="Metadata">The metadata.</param>
/// <param name="Created">When it was created (emulator clock).</param>
/// <param name="PaymentOutcome">What charging the customer does: set by <see cref="StripeEmulator.SetPaymentOutcome"/> or by a test payment method such as <c>pm_card_chargeCustomerFail</c>.</param>
public sealed record EmulatedCustomer(string Id, string? Email, string? Name, IReadOnlyDictionary<string, string> Metadata, DateTimeOffset Created, PaymentOutcome PaymentOutcome);

/// <summary>A snapshot of an emulated price.</summary>
/// <param name="Id">The <c>price_</c> id.</param>
/// <param name="ProductId">The product.</param>
/// <param name="Currency">The currency.</param>
/// <param name="UnitAmountDecimal">The unit amount in minor units (decimal), if set.</param>
/// <param name="Interval">The recurring interval (<c>month</c>, <c>year</c>, ...), or <see langword="null"/> for one-time prices.</param>
/// <param name="UsageType"><c>licensed</c> or <c>metered</c>.</param>
/// <param name="MeterId">The meter of a metered price.</param>
/// <param name="LookupKey">The lookup key, if set.</param>
/// <param name="Active">Whether the price is active.</param>
public sealed record EmulatedPrice(string Id, string ProductId, string Currency, decimal? UnitAmountDecimal, string? Interval, string UsageType, string? MeterId, string? LookupKey, bool Active);

/// <summary>A snapshot of an emulated subscription.</summary>
/// <param name="Id">The <c>sub_</c> id.</param>
/// <param name="CustomerId">The customer.</param>
/// <param name="Status">The Stripe status (<c>trialing</c>, <c>active</c>, <c>past_due</c>, <c>unpaid</c>, <c>canceled</c>, <c>incomplete</c>).</param>
/// <param name="Items">The items.</param>
/// <param name="CurrentPeriodStart">The start of the current period.</param>
/// <param name="CurrentPeriodEnd">The end of the current period.</param>
/// <param name="TrialEnd">The trial end, if any.</param>
/// <param name="CancelAtPeriodEnd">Whether it ends at the period end.</param>
/// <param name="CanceledAt">When it was canceled, if it was.</param>
/// <param name="LatestInvoiceId">The latest invoice.</param>
/// <param name="Metadata">The metadata.</param>
public sealed record EmulatedSubscription(
    string Id,
    string CustomerId,
    string Status,
    IReadOnlyList<EmulatedSubscriptionItem> Items,
    DateTimeOffset CurrentPeriodStart,
    DateTimeOffset CurrentPeriodEnd,
    DateTimeOffset? TrialEnd,
    bool CancelAtPeriodEnd,
    DateTimeOffset? CanceledAt,
    string? LatestInvoiceId,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>A snapshot of a subscription item.</summary>
/// <param name="Id">The <c>si_</c> id.</param>
/// <param name="PriceId">The price.</param>
/// <param name="Quantity">The quantity (<see langword="null"/> for metered prices).</param>
public sealed record EmulatedSubscriptionItem(string Id, string PriceId, long? Quantity);

/// <summary>A snapshot of an emulated invoice.</summary>
/// <param name="Id">The <c>in_</c> id.</param>
/// <param name="CustomerId">The customer.</param>
/// <param name="SubscriptionId">The subscription, if any.</param>
/// <param name="Status"><c>draft</c>, <c>open</c>, <c>paid</c>, <c>uncollectible</c> or <c>void</c>.</param>
/// <param name="AmountDue">The amount due in minor units.</param>
/// <param name="AmountPaid">The amount paid in minor units.</param>
/// <param name="BillingReason">Why it was created (<c>subscription_create</c>, <c>subscription_cycle</c>, ...).</param>
/// <param name="AttemptCount">How many payment attempts were made.</param>
/// <param name="PeriodStart">The start of the usage period it covers.</param>
/// <param name="PeriodEnd">The end of the usage period it covers.</param>
/// <param name="Lines">The line items.</param>
public sealed record EmulatedInvoice(
    string Id,
    string CustomerId,
    string? SubscriptionId,
    string Status,
    long AmountDue,
    long AmountPaid,
    string BillingReason,
    int AttemptCount,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    IReadOnlyList<EmulatedInvoiceLine> Lines);

/// <summary>A snapshot of an invoice line item.</summary>
/// <param name="Id">The <c>il_</c> id.</param>
/// <param name="PriceId">The price billed.</param>
/// <param name="Quantity">The quantity (for metered prices: the aggregated usage).</param>
/// <param name="Amount">The amount in minor units.</param>
/// <param name="PeriodStart">The start of the period billed.</param>
/// <param name="PeriodEnd">The end of the period billed.</param>
public sealed record EmulatedInvoiceLine(string Id, string PriceId, long Quantity, long Amount, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd);

/// <summary>A snapshot of an emulated billing meter.</summary>
/// <param name="Id">The <c>mtr_</c> id.</param>
/// <param name="DisplayName">The display name.</param>
/// <param name="EventName">The event name it aggregates.</param>
/// <param name="Formula"><c>sum</c>, <c>count</c> or <c>last</c>.</param>
/// <param name="CustomerPayloadKey">The payload key naming the customer.</param>
/// <param name="ValuePayloadKey">The payload key holding the value.</param>
public sealed record EmulatedMeter(string Id, string DisplayName, string EventName, string Formula, string CustomerPayloadKey, string ValuePayloadKey);

/// <summary>A meter event the emulator accepted and counted (duplicates by identifier are not listed).</summary>
/// <param name="Identifier">The identifier (sent or generated).</param>
/// <param name="EventName">The event name.</param>
/// <param name="CustomerId">The customer from the payload (may name an unknown customer).</param>
/// <param name="Value">The value (1 when the payload has none).</param>
/// <param name="Timestamp">The event time.</param>
/// <param name="Payload">The payload as sent.</param>
public sealed record EmulatedMeterEvent(string Identifier, string EventName, string? CustomerId, long Value, DateTimeOffset Timestamp, IReadOnlyDictionary<string, string> Payload);

/// <summary>A Stripe event the emulator emitted.</summary>
/// <param name="Id">The <c>evt_</c> id.</param>
/// <param name="Type">The event type, e.g. <c>invoice.paid</c>.</param>
/// <param name="Created">When it was created (emulator clock).</param>
/// <param name="Json">The event JSON exactly as delivered.</param>
public sealed record EmulatedEvent(string Id, string Type, DateTimeOffset Created, string Json);
