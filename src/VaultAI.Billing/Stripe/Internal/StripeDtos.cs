using System.Text.Json;
using System.Text.Json.Serialization;

namespace VaultAI.Billing.Stripe.Internal;

// Wire shapes of Stripe objects. Every field is optional: Stripe renders objects in the account's or the
// pinned API version, fields move between versions, and webhooks may come in another version than ours.
// The mapper turns them into the public models and applies the version fallbacks.

/// <summary>A wire object that can tell whether it has the minimum a valid answer needs.</summary>
internal interface IStripeDto
{
    string? Id { get; }

    bool IsValid();
}

internal sealed class ListDto<T>
    where T : class
{
    public string? Object { get; set; }

    public List<T>? Data { get; set; }

    public bool HasMore { get; set; }

    public string? NextPage { get; set; }

    public string? Url { get; set; }

    public bool IsValid() => Data is not null && !Data.Contains(null!);
}

internal sealed class CustomerDto : IStripeDto
{
    public string? Id { get; set; }

    public string? Email { get; set; }

    public string? Name { get; set; }

    public string? Description { get; set; }

    public Dictionary<string, string>? Metadata { get; set; }

    public DateTimeOffset? Created { get; set; }

    public bool Livemode { get; set; }

    public bool IsValid() => !string.IsNullOrEmpty(Id);
}

internal sealed class SubscriptionDto : IStripeDto
{
    public string? Id { get; set; }

    public string? Customer { get; set; }

    public string? Status { get; set; }

    public ListDto<SubscriptionItemDto>? Items { get; set; }

    public DateTimeOffset? TrialStart { get; set; }

    public DateTimeOffset? TrialEnd { get; set; }

    public DateTimeOffset? CurrentPeriodStart { get; set; }

    public DateTimeOffset? CurrentPeriodEnd { get; set; }

    public bool CancelAtPeriodEnd { get; set; }

    public DateTimeOffset? CancelAt { get; set; }

    public DateTimeOffset? CanceledAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    public string? LatestInvoice { get; set; }

    public Dictionary<string, string>? Metadata { get; set; }

    public DateTimeOffset? Created { get; set; }

    public bool Livemode { get; set; }

    public bool IsValid() => !string.IsNullOrEmpty(Id);
}

internal sealed class SubscriptionItemDto : IStripeDto
{
    public string? Id { get; set; }

    public PriceDto? Price { get; set; }

    public long? Quantity { get; set; }

    public DateTimeOffset? CurrentPeriodStart { get; set; }

    public DateTimeOffset? CurrentPeriodEnd { get; set; }

    public Dictionary<string, string>? Metadata { get; set; }

    public bool IsValid() => !string.IsNullOrEmpty(Id);
}

internal sealed class PriceDto : IStripeDto
{
    public string? Id { get; set; }

    public string? Product { get; set; }

    public string? Currency { get; set; }

    public long? UnitAmount { get; set; }

    public string? UnitAmountDecimal { get; set; }

    public string? LookupKey { get; set; }

    public bool Active { get; set; }

    public RecurringDto? Recurring { get; set; }

    public Dictionary<string, string>? Metadata { get; set; }

    public string? Nickname { get; set; }

    public bool IsValid() => !string.IsNullOrEmpty(Id);
}

internal sealed class RecurringDto
{
    public string? Interval { get; set; }

    public long? IntervalCount { get; set; }

    public string? UsageType { get; set; }

    public string? Meter { get; set; }
}

internal sealed class ProductDto : IStripeDto
{
    public string? Id { get; set; }

    public string? Name { get; set; }

    public string? Description { get; set; }

    public bool Active { get; set; }

    public Dictionary<string, string>? Metadata { get; set; }

    public bool IsValid() => !string.IsNullOrEmpty(Id);
}

internal sealed class MeterDto : IStripeDto
{
    public string? Id { get; set; }

    public string? DisplayName { get; set; }

    public string? EventName { get; set; }

    public string? Status { get; set; }

    public MeterAggregationDto? DefaultAggregation { get; set; }

    public MeterPayloadKeyDto? CustomerMapping { get; set; }

    public MeterPayloadKeyDto? ValueSettings { get; set; }

    public string? EventTimeWindow { get; set; }

    public bool IsValid() => !string.IsNullOrEmpty(Id);
}

internal sealed class MeterAggregationDto
{
    public string? Formula { get; set; }
}

internal sealed class MeterPayloadKeyDto
{
    public string? EventPayloadKey { get; set; }

    public string? Type { get; set; }
}

internal sealed class MeterEventDto : IStripeDto
{
    // A meter event has no id; its identifier plays that role.
    string? IStripeDto.Id => Identifier;

    public string? Identifier { get; set; }

    public string? EventName { get; set; }

    public DateTimeOffset? Timestamp { get; set; }

    public Dictionary<string, string>? Payload { get; set; }

    public DateTimeOffset? Created { get; set; }

    public bool Livemode { get; set; }

    public bool IsValid() => !string.IsNullOrEmpty(EventName);
}

internal sealed class MeterEventSummaryDto : IStripeDto
{
    public string? Id { get; set; }

    public string? Meter { get; set; }

    public decimal AggregatedValue { get; set; }

    public DateTimeOffset? StartTime { get; set; }

    public DateTimeOffset? EndTime { get; set; }

    public bool IsValid() => !string.IsNullOrEmpty(Id);
}

internal sealed class MeterEventSessionDto : IStripeDto
{
    public string? Id { get; set; }

    public string? AuthenticationToken { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    public bool IsValid() => !string.IsNullOrEmpty(Id) && !string.IsNullOrEmpty(AuthenticationToken);
}

internal sealed class CheckoutSessionDto : IStripeDto
{
    public string? Id { get; set; }

    public string? Url { get; set; }

    public string? Customer { get; set; }

    public string? Subscription { get; set; }

    public string? ClientReferenceId { get; set; }

    public string? Mode { get; set; }

    public string? Status { get; set; }

    public string? PaymentStatus { get; set; }

    public Dictionary<string, string>? Metadata { get; set; }

    public bool IsValid() => !string.IsNullOrEmpty(Id);
}

internal sealed class PortalSessionDto : IStripeDto
{
    public string? Id { get; set; }

    public string? Url { get; set; }

    public string? Customer { get; set; }

    public string? ReturnUrl { get; set; }

    public bool IsValid() => !string.IsNullOrEmpty(Id);
}

internal sealed class InvoiceDto : IStripeDto
{
    public string? Id { get; set; }

    public string? Object { get; set; }

    public string? Number { get; set; }

    public string? Customer { get; set; }

    public string? Subscription { get; set; }

    public InvoiceParentDto? Parent { get; set; }

    public string? Status { get; set; }

    public long AmountDue { get; set; }

    public long AmountPaid { get; set; }

    public long AmountRemaining { get; set; }

    public long Total { get; set; }

    public string? Currency { get; set; }

    public DateTimeOffset? PeriodStart { get; set; }

    public DateTimeOffset? PeriodEnd { get; set; }

    public string? HostedInvoiceUrl { get; set; }

    public string? InvoicePdf { get; set; }

    public DateTimeOffset? Created { get; set; }

    public ListDto<InvoiceLineDto>? Lines { get; set; }

    public Dictionary<string, string>? Metadata { get; set; }

    // A preview invoice has no id, so the object type is what identifies an invoice.
    public bool IsValid() => !string.IsNullOrEmpty(Id) || Object == "invoice";
}

internal sealed class InvoiceParentDto
{
    public InvoiceSubscriptionDetailsDto? SubscriptionDetails { get; set; }
}

internal sealed class InvoiceSubscriptionDetailsDto
{
    public string? Subscription { get; set; }
}

internal sealed class InvoiceLineDto : IStripeDto
{
    public string? Id { get; set; }

    public long Amount { get; set; }

    public string? Description { get; set; }

    public long? Quantity { get; set; }

    public PeriodDto? Period { get; set; }

    // Older API versions: the price object; the lenient string converter keeps its id.
    public string? Price { get; set; }

    public InvoiceLinePricingDto? Pricing { get; set; }

    public bool IsValid() => true;
}

internal sealed class PeriodDto
{
    public DateTimeOffset? Start { get; set; }

    public DateTimeOffset? End { get; set; }
}

internal sealed class InvoiceLinePricingDto
{
    public InvoiceLinePriceDetailsDto? PriceDetails { get; set; }
}

internal sealed class InvoiceLinePriceDetailsDto
{
    public string? Price { get; set; }
}

internal sealed class EventDto : IStripeDto
{
    public string? Id { get; set; }

    public string? Type { get; set; }

    public DateTimeOffset? Created { get; set; }

    public string? ApiVersion { get; set; }

    public bool Livemode { get; set; }

    public EventDataDto? Data { get; set; }

    public bool IsValid() =>
        !string.IsNullOrEmpty(Id) && !string.IsNullOrEmpty(Type) && Data is { Object.ValueKind: JsonValueKind.Object };
}

internal sealed class EventDataDto
{
    public JsonElement Object { get; set; }

    public JsonElement? PreviousAttributes { get; set; }
}

internal sealed class ErrorEnvelopeDto
{
    public ErrorDto? Error { get; set; }
}

internal sealed class ErrorDto
{
    public string? Type { get; set; }

    public string? Code { get; set; }

    public string? Message { get; set; }

    public string? Param { get; set; }

    public string? DeclineCode { get; set; }

    public string? DocUrl { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    Converters = [typeof(LenientStringConverter), typeof(StripeTimestampConverter)])]
[JsonSerializable(typeof(CustomerDto))]
[JsonSerializable(typeof(ListDto<CustomerDto>))]
[JsonSerializable(typeof(SubscriptionDto))]
[JsonSerializable(typeof(ListDto<SubscriptionDto>))]
[JsonSerializable(typeof(PriceDto))]
[JsonSerializable(typeof(ListDto<PriceDto>))]
[JsonSerializable(typeof(ProductDto))]
[JsonSerializable(typeof(ListDto<ProductDto>))]
[JsonSerializable(typeof(MeterDto))]
[JsonSerializable(typeof(ListDto<MeterDto>))]
[JsonSerializable(typeof(MeterEventDto))]
[JsonSerializable(typeof(MeterEventSummaryDto))]
[JsonSerializable(typeof(ListDto<MeterEventSummaryDto>))]
[JsonSerializable(typeof(MeterEventSessionDto))]
[JsonSerializable(typeof(CheckoutSessionDto))]
[JsonSerializable(typeof(PortalSessionDto))]
[JsonSerializable(typeof(InvoiceDto))]
[JsonSerializable(typeof(ListDto<InvoiceDto>))]
[JsonSerializable(typeof(EventDto))]
[JsonSerializable(typeof(ListDto<EventDto>))]
[JsonSerializable(typeof(ErrorEnvelopeDto))]
internal sealed partial class StripeJsonContext : JsonSerializerContext
{
}
