using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Stripe;

/// <summary>A Stripe billing meter.</summary>
public sealed record StripeMeter
{
    /// <summary>Gets the id (<c>mtr_...</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Gets the display name.</summary>
    public string? DisplayName { get; init; }

    /// <summary>Gets the event name meter events are sent with.</summary>
    public string? EventName { get; init; }

    /// <summary>Gets the status: <c>active</c> or <c>inactive</c>.</summary>
    public string? Status { get; init; }

    /// <summary>Gets the aggregation formula: <c>count</c>, <c>sum</c> or <c>last</c>.</summary>
    public string? DefaultAggregation { get; init; }

    /// <summary>Gets the payload key holding the customer id.</summary>
    public string? CustomerMappingEventPayloadKey { get; init; }

    /// <summary>Gets the payload key holding the value.</summary>
    public string? ValueSettingsEventPayloadKey { get; init; }

    /// <summary>Gets the event time window (<c>day</c> or <c>hour</c>), if any.</summary>
    public string? EventTimeWindow { get; init; }
}

/// <summary>A meter event accepted by <c>POST /v1/billing/meter_events</c>.</summary>
public sealed record StripeMeterEvent
{
    /// <summary>Gets the identifier Stripe deduplicates on.</summary>
    public string? Identifier { get; init; }

    /// <summary>Gets the event name.</summary>
    public string? EventName { get; init; }

    /// <summary>Gets when the usage happened.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>Gets the payload (numbers are kept as their text).</summary>
    public IReadOnlyDictionary<string, string> Payload { get; init; } = EmptyMetadata.Instance;

    /// <summary>Gets when Stripe recorded the event.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>Gets a value indicating whether the object lives in live mode.</summary>
    public bool Livemode { get; init; }
}

/// <summary>An aggregated meter value of a customer over a window.</summary>
public sealed record StripeMeterEventSummary
{
    /// <summary>Gets the id.</summary>
    public required string Id { get; init; }

    /// <summary>Gets the meter id.</summary>
    public string? Meter { get; init; }

    /// <summary>Gets the aggregated value.</summary>
    public decimal AggregatedValue { get; init; }

    /// <summary>Gets the inclusive start of the window.</summary>
    public DateTimeOffset StartTime { get; init; }

    /// <summary>Gets the exclusive end of the window.</summary>
    public DateTimeOffset EndTime { get; init; }
}

/// <summary>An authentication session of the v2 meter event stream (valid about 15 minutes).</summary>
public sealed record StripeMeterEventSession
{
    /// <summary>Gets the id.</summary>
    public required string Id { get; init; }

    /// <summary>Gets the bearer token of the stream. Treat it as a secret.</summary>
    public required string AuthenticationToken { get; init; }

    /// <summary>Gets when the token expires.</summary>
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Describes the session without revealing the token.</summary>
    /// <returns>A description safe to log.</returns>
    public override string ToString() => $"StripeMeterEventSession {{ Id = {Id}, ExpiresAt = {ExpiresAt:O} }}";
}

/// <summary>Parameters of <c>POST /v1/billing/meters</c>.</summary>
public sealed class MeterCreateOptions
{
    /// <summary>Gets or sets the display name.</summary>
    public string? DisplayName { get; set; }

    /// <summary>Gets or sets the event name.</summary>
    public string? EventName { get; set; }

    /// <summary>Gets or sets the aggregation formula: <c>count</c>, <c>sum</c> or <c>last</c>.</summary>
    /// <value>The default is <c>sum</c>.</value>
    public string DefaultAggregationFormula { get; set; } = "sum";

    /// <summary>Gets or sets the payload key holding the customer id (mapping type <c>by_id</c>).</summary>
    /// <value>The default is <c>stripe_customer_id</c>.</value>
    public string CustomerMappingEventPayloadKey { get; set; } = "stripe_customer_id";

    /// <summary>Gets or sets the payload key holding the value.</summary>
    /// <value>The default is <c>value</c>.</value>
    public string ValueSettingsEventPayloadKey { get; set; } = "value";

    /// <summary>Gets or sets the event time window: <c>day</c> or <c>hour</c>.</summary>
    /// <value>The default is <see langword="null"/> (not sent).</value>
    public string? EventTimeWindow { get; set; }

    internal FormParams ToForm() => new FormParams()
        .Add("display_name", DisplayName)
        .Add("event_name", EventName)
        .Add("default_aggregation", new FormParams().Add("formula", DefaultAggregationFormula))
        .Add("customer_mapping", new FormParams().Add("type", "by_id").Add("event_payload_key", CustomerMappingEventPayloadKey))
        .Add("value_settings", new FormParams().Add("event_payload_key", ValueSettingsEventPayloadKey))
        .Add("event_time_window", EventTimeWindow);
}

/// <summary>Parameters of <c>GET /v1/billing/meters</c>.</summary>
public sealed class MeterListOptions
{
    /// <summary>Gets or sets the status to filter by: <c>active</c> or <c>inactive</c>.</summary>
    public string? Status { get; set; }

    /// <summary>Gets or sets the page size (1 to 100).</summary>
    /// <value>The default is <see langword="null"/>: 100.</value>
    public int? Limit { get; set; }

    internal FormParams ToQuery() => new FormParams().Add("status", Status);
}

/// <summary>Parameters of <c>POST /v1/billing/meter_events</c>.</summary>
public sealed class MeterEventCreateOptions
{
    /// <summary>Gets or sets the meter's event name.</summary>
    public string? EventName { get; set; }

    /// <summary>Gets or sets the customer id (sent as <c>payload[stripe_customer_id]</c>).</summary>
    public string? StripeCustomerId { get; set; }

    /// <summary>Gets or sets the whole-number value (sent as <c>payload[value]</c>).</summary>
    public long Value { get; set; }

    /// <summary>Gets or sets the unique identifier (at most 100 characters) Stripe deduplicates on.</summary>
    public string? Identifier { get; set; }

    /// <summary>Gets or sets when the usage happened (within the past 35 days, at most 5 minutes ahead).</summary>
    /// <value>The default is <see langword="null"/>: Stripe uses the time it receives the event.</value>
    public DateTimeOffset? Timestamp { get; set; }

    internal FormParams ToForm() => new FormParams()
        .Add("event_name", EventName)
        .Add("payload", new FormParams().Add("stripe_customer_id", StripeCustomerId).Add("value", Value))
        .Add("identifier", Identifier)
        .Add("timestamp", Timestamp);
}

/// <summary>Parameters of <c>GET /v1/billing/meters/{id}/event_summaries</c>.</summary>
public sealed class MeterEventSummaryListOptions
{
    /// <summary>Gets or sets the customer id (required).</summary>
    public string? Customer { get; set; }

    /// <summary>Gets or sets the inclusive start (required; aligned to the grouping window).</summary>
    public DateTimeOffset StartTime { get; set; }

    /// <summary>Gets or sets the exclusive end (required).</summary>
    public DateTimeOffset EndTime { get; set; }

    /// <summary>Gets or sets the grouping window: <c>day</c> or <c>hour</c>.</summary>
    /// <value>The default is <see langword="null"/>: one summary over the whole range.</value>
    public string? ValueGroupingWindow { get; set; }

    /// <summary>Gets or sets the page size (1 to 100).</summary>
    /// <value>The default is <see langword="null"/>: 100.</value>
    public int? Limit { get; set; }

    internal FormParams ToQuery() => new FormParams()
        .Add("customer", Customer)
        .Add("start_time", StartTime)
        .Add("end_time", EndTime)
        .Add("value_grouping_window", ValueGroupingWindow);
}

/// <summary>One event of a v2 meter event stream request.</summary>
public sealed class MeterEventStreamItem
{
    /// <summary>Gets or sets the meter's event name.</summary>
    public required string EventName { get; init; }

    /// <summary>Gets or sets the unique identifier Stripe deduplicates on.</summary>
    public required string Identifier { get; init; }

    /// <summary>Gets or sets when the usage happened (sent as ISO-8601 UTC with milliseconds).</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>Gets or sets the customer id.</summary>
    public required string StripeCustomerId { get; init; }

    /// <summary>Gets or sets the whole-number value (sent as a string).</summary>
    public long Value { get; init; }
}
