using System.Text.Json;
using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Stripe;

/// <summary>A Stripe event, from a webhook body or <c>GET /v1/events</c>.</summary>
public sealed record StripeEvent
{
    /// <summary>Gets the id (<c>evt_...</c>); deduplicate deliveries on it.</summary>
    public required string Id { get; init; }

    /// <summary>Gets the type, e.g. <c>customer.subscription.updated</c>.</summary>
    public required string Type { get; init; }

    /// <summary>Gets when the event was created.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>Gets the API version the data object is rendered in (may differ from ours).</summary>
    public string? ApiVersion { get; init; }

    /// <summary>Gets a value indicating whether the event comes from live mode.</summary>
    public bool Livemode { get; init; }

    /// <summary>Gets the data.</summary>
    public required StripeEventData Data { get; init; }

    /// <summary>
    /// Parses an event from its JSON. Unknown fields are ignored. Verify a webhook's signature on the raw bytes
    /// (<see cref="StripeWebhookSignature.Verify"/>) before parsing them.
    /// </summary>
    /// <param name="json">The UTF-8 JSON.</param>
    /// <returns>The event.</returns>
    /// <exception cref="StripeResponseException">The JSON is not a Stripe event.</exception>
    public static StripeEvent Parse(ReadOnlySpan<byte> json)
    {
        EventDto? dto;
        try
        {
            dto = JsonSerializer.Deserialize(json, StripeJsonContext.Default.EventDto);
        }
        catch (JsonException ex)
        {
            throw new StripeResponseException($"The Stripe event is not valid JSON: {ex.Message}", ex);
        }

        if (dto is null || !dto.IsValid())
        {
            throw new StripeResponseException("The JSON is not a Stripe event: it needs an id, a type and data.object.");
        }

        return StripeMapper.Map(dto);
    }

    /// <summary>
    /// Reads <c>data.object</c> as one of <see cref="StripeSubscription"/>, <see cref="StripeInvoice"/>,
    /// <see cref="StripeCheckoutSession"/>, <see cref="StripeCustomer"/>, <see cref="StripePrice"/> or
    /// <see cref="StripeProduct"/>.
    /// </summary>
    /// <typeparam name="T">One of the supported model types.</typeparam>
    /// <returns>The data object.</returns>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not supported.</exception>
    /// <exception cref="StripeResponseException">The data object does not have the expected shape.</exception>
    public T GetDataObject<T>()
        where T : class => StripeMapper.MapDataObject<T>(Data.Object);
}

/// <summary>The data of a Stripe event.</summary>
public sealed record StripeEventData
{
    /// <summary>Gets the object the event is about, as Stripe rendered it.</summary>
    public JsonElement Object { get; init; }

    /// <summary>Gets the previous values of the changed fields (on <c>*.updated</c> events).</summary>
    public JsonElement? PreviousAttributes { get; init; }
}

/// <summary>Parameters of <c>GET /v1/events</c> (Stripe keeps events 30 days).</summary>
public sealed class EventListOptions
{
    /// <summary>Gets or sets the earliest creation time (<c>created[gte]</c>).</summary>
    public DateTimeOffset? CreatedGte { get; set; }

    /// <summary>Gets or sets the event types to return (<c>types[0]=...</c>).</summary>
    public IList<string>? Types { get; set; }

    /// <summary>Gets or sets the page size (1 to 100).</summary>
    /// <value>The default is <see langword="null"/>: 100.</value>
    public int? Limit { get; set; }

    internal FormParams ToQuery() => new FormParams()
        .Add("created", CreatedGte is null ? null : new FormParams().Add("gte", CreatedGte))
        .Add("types", Types is { Count: > 0 } ? Types : null);
}
