using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace VaultAI.Billing.Stripe.Internal;

/// <summary>Maps wire objects to the public models, applying the API-version fallbacks.</summary>
internal static class StripeMapper
{
    public static StripeCustomer Map(CustomerDto dto) => new()
    {
        Id = dto.Id!,
        Email = dto.Email,
        Name = dto.Name,
        Description = dto.Description,
        Metadata = Metadata(dto.Metadata),
        Created = dto.Created ?? default,
        Livemode = dto.Livemode,
    };

    public static StripeSubscription Map(SubscriptionDto dto)
    {
        var items = (dto.Items?.Data ?? []).Where(i => i.IsValid()).Select(Map).ToList();
        var first = items.Count > 0 ? items[0] : null;
        return new StripeSubscription
        {
            Id = dto.Id!,
            Customer = dto.Customer,
            Status = dto.Status,
            Items = items,
            TrialStart = dto.TrialStart,
            TrialEnd = dto.TrialEnd,

            // Since 2025-03-31.basil the period lives on the items only.
            CurrentPeriodStart = dto.CurrentPeriodStart ?? first?.CurrentPeriodStart,
            CurrentPeriodEnd = dto.CurrentPeriodEnd ?? first?.CurrentPeriodEnd,
            CancelAtPeriodEnd = dto.CancelAtPeriodEnd,
            CancelAt = dto.CancelAt,
            CanceledAt = dto.CanceledAt,
            EndedAt = dto.EndedAt,
            LatestInvoice = dto.LatestInvoice,
            Metadata = Metadata(dto.Metadata),
            Created = dto.Created ?? default,
            Livemode = dto.Livemode,
        };
    }

    public static StripeSubscriptionItem Map(SubscriptionItemDto dto) => new()
    {
        Id = dto.Id!,
        Price = dto.Price is { } price && price.IsValid() ? Map(price) : null,
        Quantity = dto.Quantity,
        CurrentPeriodStart = dto.CurrentPeriodStart,
        CurrentPeriodEnd = dto.CurrentPeriodEnd,
        Metadata = Metadata(dto.Metadata),
    };

    public static StripePrice Map(PriceDto dto) => new()
    {
        Id = dto.Id!,
        Product = dto.Product,
        Currency = dto.Currency,
        UnitAmount = dto.UnitAmount,
        UnitAmountDecimal = dto.UnitAmountDecimal,
        LookupKey = dto.LookupKey,
        Active = dto.Active,
        Recurring = dto.Recurring is { } r
            ? new StripeRecurring { Interval = r.Interval, IntervalCount = r.IntervalCount ?? 1, UsageType = r.UsageType, Meter = r.Meter }
            : null,
        Metadata = Metadata(dto.Metadata),
        Nickname = dto.Nickname,
    };

    public static StripeProduct Map(ProductDto dto) => new()
    {
        Id = dto.Id!,
        Name = dto.Name,
        Description = dto.Description,
        Active = dto.Active,
        Metadata = Metadata(dto.Metadata),
    };

    public static StripeMeter Map(MeterDto dto) => new()
    {
        Id = dto.Id!,
        DisplayName = dto.DisplayName,
        EventName = dto.EventName,
        Status = dto.Status,
        DefaultAggregation = dto.DefaultAggregation?.Formula,
        CustomerMappingEventPayloadKey = dto.CustomerMapping?.EventPayloadKey,
        ValueSettingsEventPayloadKey = dto.ValueSettings?.EventPayloadKey,
        EventTimeWindow = dto.EventTimeWindow,
    };

    public static StripeMeterEvent Map(MeterEventDto dto) => new()
    {
        Identifier = dto.Identifier,
        EventName = dto.EventName,
        Timestamp = dto.Timestamp ?? default,
        Payload = Metadata(dto.Payload),
        Created = dto.Created ?? default,
        Livemode = dto.Livemode,
    };

    public static StripeMeterEventSummary Map(MeterEventSummaryDto dto) => new()
    {
        Id = dto.Id!,
        Meter = dto.Meter,
        AggregatedValue = dto.AggregatedValue,
        StartTime = dto.StartTime ?? default,
        EndTime = dto.EndTime ?? default,
    };

    public static StripeMeterEventSession Map(MeterEventSessionDto dto) => new()
    {
        Id = dto.Id!,
        AuthenticationToken = dto.AuthenticationToken!,
        ExpiresAt = dto.ExpiresAt ?? default,
    };

    public static StripeCheckoutSession Map(CheckoutSessionDto dto) => new()
    {
        Id = dto.Id!,
        Url = dto.Url,
        Customer = dto.Customer,
        Subscription = dto.Subscription,
        ClientReferenceId = dto.ClientReferenceId,
        Mode = dto.Mode,
        Status = dto.Status,
        PaymentStatus = dto.PaymentStatus,
        Metadata = Metadata(dto.Metadata),
    };

    public static StripePortalSession Map(PortalSessionDto dto) => new()
    {
        Id = dto.Id!,
        Url = dto.Url,
        Customer = dto.Customer,
        ReturnUrl = dto.ReturnUrl,
    };

    public static StripeInvoice Map(InvoiceDto dto) => new()
    {
        Id = dto.Id,
        Number = dto.Number,
        Customer = dto.Customer,

        // Since 2025-03-31.basil the subscription moved under parent.subscription_details.
        Subscription = dto.Subscription ?? dto.Parent?.SubscriptionDetails?.Subscription,
        Status = dto.Status,
        AmountDue = dto.AmountDue,
        AmountPaid = dto.AmountPaid,
        AmountRemaining = dto.AmountRemaining,
        Total = dto.Total,
        Currency = dto.Currency,
        PeriodStart = dto.PeriodStart,
        PeriodEnd = dto.PeriodEnd,
        HostedInvoiceUrl = dto.HostedInvoiceUrl,
        InvoicePdf = dto.InvoicePdf,
        Created = dto.Created ?? default,
        Lines = (dto.Lines?.Data ?? []).Select(l => new StripeInvoiceLine
        {
            Id = l.Id,
            Amount = l.Amount,
            Description = l.Description,
            Quantity = l.Quantity,
            PeriodStart = l.Period?.Start,
            PeriodEnd = l.Period?.End,
            PriceId = l.Pricing?.PriceDetails?.Price ?? l.Price,
        }).ToList(),
        Metadata = Metadata(dto.Metadata),
    };

    public static StripeEvent Map(EventDto dto) => new()
    {
        Id = dto.Id!,
        Type = dto.Type!,
        Created = dto.Created ?? default,
        ApiVersion = dto.ApiVersion,
        Livemode = dto.Livemode,
        Data = new StripeEventData
        {
            Object = dto.Data!.Object,
            PreviousAttributes = dto.Data.PreviousAttributes is { ValueKind: JsonValueKind.Object } previous ? previous : null,
        },
    };

    public static T MapDataObject<T>(JsonElement element)
        where T : class
    {
        object result = typeof(T) switch
        {
            var t when t == typeof(StripeSubscription) => Map(Read(element, StripeJsonContext.Default.SubscriptionDto)),
            var t when t == typeof(StripeInvoice) => Map(Read(element, StripeJsonContext.Default.InvoiceDto)),
            var t when t == typeof(StripeCheckoutSession) => Map(Read(element, StripeJsonContext.Default.CheckoutSessionDto)),
            var t when t == typeof(StripeCustomer) => Map(Read(element, StripeJsonContext.Default.CustomerDto)),
            var t when t == typeof(StripePrice) => Map(Read(element, StripeJsonContext.Default.PriceDto)),
            var t when t == typeof(StripeProduct) => Map(Read(element, StripeJsonContext.Default.ProductDto)),
            _ => throw new NotSupportedException($"{typeof(T).Name} is not a supported event data object type."),
        };
        return (T)result;
    }

    private static TDto Read<TDto>(JsonElement element, JsonTypeInfo<TDto> typeInfo)
        where TDto : class, IStripeDto
    {
        TDto? dto;
        try
        {
            dto = element.Deserialize(typeInfo);
        }
        catch (JsonException ex)
        {
            throw new StripeResponseException($"The event's data object cannot be read as {typeof(TDto).Name[..^3]}: {ex.Message}", ex);
        }

        return dto is not null && dto.IsValid()
            ? dto
            : throw new StripeResponseException($"The event's data object is not a {typeof(TDto).Name[..^3]} (no id).");
    }

    private static IReadOnlyDictionary<string, string> Metadata(Dictionary<string, string>? values) =>
        values is null || values.Count == 0 ? EmptyMetadata.Instance : values.AsReadOnly();
}
