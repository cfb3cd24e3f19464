using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using VaultAI.Billing.Testing.Api.Internal;

namespace VaultAI.Billing.Testing.State.Internal;

internal sealed partial class Engine
{
    private static readonly ParameterSchema MeterCreate = new(
        "display_name", "event_name", "default_aggregation[formula]", "customer_mapping[type]", "customer_mapping[event_payload_key]",
        "value_settings[event_payload_key]", "event_time_window", "expand[]");
    private static readonly ParameterSchema MeterList = new("limit", "starting_after", "ending_before", "expand[]", "status");
    private static readonly ParameterSchema MeterEventCreate = new("event_name", "payload[*]", "identifier", "timestamp", "expand[]");
    private static readonly ParameterSchema SummaryList = new(
        "customer", "start_time", "end_time", "value_grouping_window", "limit", "starting_after", "ending_before", "expand[]");

    private static readonly TimeSpan MaxPast = TimeSpan.FromDays(35);
    private static readonly TimeSpan MaxFuture = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan SessionLifetime = TimeSpan.FromMinutes(15);

    private JsonObject CreateMeter(FormNode f)
    {
        var displayName = f.Required("display_name");
        var eventName = f.Required("event_name");
        var formula = f.Node("default_aggregation")?.Str("formula");
        if (string.IsNullOrEmpty(formula))
        {
            throw StripeApiException.Missing("default_aggregation");
        }

        if (formula is not ("sum" or "count" or "last"))
        {
            throw StripeApiException.Invalid("Invalid default_aggregation[formula]: must be one of count, last, or sum", "default_aggregation[formula]");
        }

        if (Meters.Values.Any(m => m.EventName == eventName))
        {
            throw StripeApiException.Invalid($"An active meter with event_name `{eventName}` already exists.", "event_name");
        }

        var mapping = f.Node("customer_mapping");
        if (mapping?.Str("type") is { Length: > 0 } type && type != "by_id")
        {
            throw StripeApiException.Invalid("Invalid customer_mapping[type]: must be by_id", "customer_mapping[type]");
        }

        if (mapping is not null && string.IsNullOrEmpty(mapping.Str("event_payload_key")))
        {
            throw StripeApiException.Missing("customer_mapping[event_payload_key]");
        }

        var window = NullIfEmpty(f.Str("event_time_window"));
        if (window is not (null or "day" or "hour"))
        {
            throw StripeApiException.Invalid("Invalid event_time_window: must be one of day or hour", "event_time_window");
        }

        var meter = new Meter
        {
            Id = Ids.New("mtr_", 24),
            Sequence = NextSequence(),
            Created = Now,
            DisplayName = displayName,
            EventName = eventName,
            Formula = formula,
            CustomerKey = NullIfEmpty(mapping?.Str("event_payload_key")) ?? "stripe_customer_id",
            ValueKey = NullIfEmpty(f.Node("value_settings")?.Str("event_payload_key")) ?? "value",
            EventTimeWindow = window,
        };
        Meters[meter.Id] = meter;
        MetersByEventName[meter.EventName] = meter;
        return Render(meter);
    }

    private JsonObject ListMeters(FormNode f) =>
        RenderList(Meters.Values.OrderByDescending(m => m.Sequence), m => m.Id, m => Render(m), f, "/v1/billing/meters", "billing.meter");

    public Meter FindMeter(string id, string param = "id") =>
        Meters.GetValueOrDefault(id) ?? throw StripeApiException.NotFound("billing.meter", id, param);

    private JsonObject CreateMeterEvent(FormNode f)
    {
        var eventName = f.Required("event_name");
        if (f.Node("payload") is not { HasChildren: true })
        {
            throw StripeApiException.Missing("payload");
        }

        var payload = f.Map("payload");
        DateTimeOffset timestamp = Now;
        if (f.Long("timestamp") is { } unix)
        {
            timestamp = DateTimeOffset.FromUnixTimeSeconds(unix);
        }

        var identifier = NullIfEmpty(f.Str("identifier"));
        var candidate = ValidateMeterEvent(eventName, payload, identifier, timestamp, "");
        var accepted = StoreMeterEvent(candidate, out var record);
        return new JsonObject
        {
            ["object"] = "billing.meter_event",
            ["created"] = Unix(accepted ? record.Created : Now),
            ["event_name"] = eventName,
            ["identifier"] = record.Identifier,
            ["livemode"] = false,
            ["payload"] = MetadataJson(payload),
            ["timestamp"] = Unix(timestamp),
        };
    }

    /// <summary>
    /// Checks one meter event as Stripe does and builds the record it would store; stores nothing, so a batch can be
    /// checked whole before any of it is kept.
    /// </summary>
    private MeterEventRecord ValidateMeterEvent(string eventName, Dictionary<string, string> payload, string? identifier, DateTimeOffset timestamp, string paramPrefix)
    {
        if (identifier is { Length: > 100 })
        {
            throw StripeApiException.Invalid("Invalid identifier: must be at most 100 characters", paramPrefix + "identifier");
        }

        // The meter (if any) says which payload keys carry the customer and the value.
        var meter = MetersByEventName.GetValueOrDefault(eventName);
        var customerKey = meter?.CustomerKey ?? "stripe_customer_id";
        var valueKey = meter?.ValueKey ?? "value";

        // A customer on a test clock lives in the clock's frozen time.
        var mappedCustomer = payload.TryGetValue(customerKey, out var mapped) ? NullIfEmpty(mapped) : null;
        var now = InClockTime(ClockOf(mappedCustomer), () => Now);
        if (timestamp < now - MaxPast)
        {
            throw StripeApiException.Invalid(
                "Timestamp must be within the past 35 calendar days.", paramPrefix + "timestamp", "timestamp_too_far_in_past");
        }

        if (timestamp > now + MaxFuture)
        {
            throw StripeApiException.Invalid(
                "Timestamp must not be more than 5 minutes in the future.", paramPrefix + "timestamp", "timestamp_in_future");
        }

        if (mappedCustomer is null)
        {
            throw StripeApiException.Invalid(
                $"Missing required param: payload[{customerKey}]. The payload must contain the meter's customer mapping key.", $"{paramPrefix}payload[{customerKey}]", "parameter_missing");
        }

        long value = 1;
        if (meter?.Formula != "count" || payload.ContainsKey(valueKey))
        {
            if (!payload.TryGetValue(valueKey, out var raw) || string.IsNullOrEmpty(raw))
            {
                throw StripeApiException.Invalid(
                    $"Missing required param: payload[{valueKey}].", $"{paramPrefix}payload[{valueKey}]", "parameter_missing");
            }

            if (!long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
            {
                throw StripeApiException.Invalid(
                    $"Invalid payload[{valueKey}]: the meter event value must be a whole number, got '{raw}'.", $"{paramPrefix}payload[{valueKey}]");
            }
        }

        return new MeterEventRecord
        {
            Identifier = identifier ?? Ids.New("emu_", 24),
            EventName = eventName,
            CustomerId = mappedCustomer,
            Value = value,
            Timestamp = timestamp,
            Created = now,
            Payload = payload,
        };
    }

    /// <summary>
    /// Keeps a checked meter event, in constant time: indexed by identifier (dedupe) and by customer and event name
    /// (summaries). A repeated identifier is answered like the original (Stripe accepts it synchronously and drops it
    /// when processing) but is not counted again.
    /// </summary>
    private bool StoreMeterEvent(MeterEventRecord candidate, out MeterEventRecord record)
    {
        if (MeterEventsByIdentifier.TryGetValue(candidate.Identifier, out var existing))
        {
            record = existing;
            return false;
        }

        record = new MeterEventRecord
        {
            Identifier = candidate.Identifier,
            EventName = candidate.EventName,
            CustomerId = candidate.CustomerId,
            Value = candidate.Value,
            Timestamp = candidate.Timestamp,
            Created = candidate.Created,
            Sequence = NextSequence(),
            Payload = candidate.Payload,
        };
        MeterEventsByIdentifier.Add(record.Identifier, record);
        var key = (record.CustomerId!, record.EventName);
        if (!MeterEventsByCustomer.TryGetValue(key, out var ofCustomer))
        {
            ofCustomer = [];
            MeterEventsByCustomer.Add(key, ofCustomer);
        }

        ofCustomer.Add(record);
        MeterEvents.Add(record);
        return true;
    }

    /// <summary>The customer a meter event names, through its meter's customer mapping key.</summary>
    private string? MeterEventCustomer(string? eventName, Dictionary<string, string> payload)
    {
        var key = (eventName is null ? null : MetersByEventName.GetValueOrDefault(eventName))?.CustomerKey ?? "stripe_customer_id";
        return payload.TryGetValue(key, out var customerId) ? NullIfEmpty(customerId) : null;
    }

    private JsonObject EventSummaries(string meterId, FormNode f)
    {
        var meter = FindMeter(meterId);
        var customerId = f.Required("customer");
        var start = f.Long("start_time") ?? throw StripeApiException.Missing("start_time");
        var end = f.Long("end_time") ?? throw StripeApiException.Missing("end_time");
        if (end <= start)
        {
            throw StripeApiException.Invalid("end_time must be after start_time.", "end_time");
        }

        var from = DateTimeOffset.FromUnixTimeSeconds(start);
        var to = DateTimeOffset.FromUnixTimeSeconds(end);
        var windows = new List<(DateTimeOffset From, DateTimeOffset To)>();
        var grouping = NullIfEmpty(f.Str("value_grouping_window"));
        if (grouping is null)
        {
            windows.Add((from, to));
        }
        else if (grouping is "day" or "hour")
        {
            var step = grouping == "day" ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1);
            for (var t = from; t < to; t += step)
            {
                windows.Add((t, t + step < to ? t + step : to));
            }
        }
        else
        {
            throw StripeApiException.Invalid("Invalid value_grouping_window: must be one of day or hour", "value_grouping_window");
        }

        var summaries = windows.Select(w => new JsonObject
        {
            ["id"] = $"mtrusg_{meter.Id[4..]}_{Unix(w.From)}",
            ["object"] = "billing.meter_event_summary",
            ["aggregated_value"] = Aggregate(meter, customerId, w.From, w.To),
            ["end_time"] = Unix(w.To),
            ["livemode"] = false,
            ["meter"] = meter.Id,
            ["start_time"] = Unix(w.From),
        }).Reverse().ToList();
        return RenderList(summaries, s => s["id"]!.GetValue<string>(), s => s, f, $"/v1/billing/meters/{meter.Id}/event_summaries", "billing.meter_event_summary");
    }

    /// <summary>The meter's value for a customer over [from, to): sum, count, or the value of the latest event.</summary>
    public long Aggregate(Meter meter, string customerId, DateTimeOffset from, DateTimeOffset to)
    {
        if (!Customers.ContainsKey(customerId))
        {
            // Events for unknown customers are accepted by the API but never aggregated.
            return 0;
        }

        if (!MeterEventsByCustomer.TryGetValue((customerId, meter.EventName), out var ofCustomer))
        {
            return 0;
        }

        var events = ofCustomer.Where(e => e.Timestamp >= from && e.Timestamp < to).ToList();
        return meter.Formula switch
        {
            "count" => events.Count,
            "last" => events.OrderBy(e => e.Timestamp).ThenBy(e => e.Sequence).LastOrDefault()?.Value ?? 0,
            _ => events.Sum(e => e.Value),
        };
    }

    private JsonObject CreateMeterEventSession()
    {
        var now = Now;
        var session = new MeterEventSession
        {
            Id = Ids.New("mes_", 24),
            Token = Ids.New("mes_tok_", 40),
            Created = now,
            ExpiresAt = now + SessionLifetime,
        };
        MeterEventSessions[session.Token] = session;
        return new JsonObject
        {
            ["id"] = session.Id,
            ["object"] = "v2.billing.meter_event_session",
            ["authentication_token"] = session.Token,
            ["created"] = Iso(session.Created),
            ["expires_at"] = Iso(session.ExpiresAt),
            ["livemode"] = false,
        };
    }

    public static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Validates a meter event stream token. Returns an error response, or null when valid.</summary>
    public StripeApiException? CheckStreamToken(string? token)
    {
        if (string.IsNullOrEmpty(token) || !MeterEventSessions.TryGetValue(token, out var session))
        {
            return new StripeApiException(401, "invalid_request_error", "The meter event session token is not valid.", null, "invalid_authentication_token");
        }

        if (Now >= session.ExpiresAt)
        {
            return new StripeApiException(401, "temporary_session_expired", "The meter event session has expired. Create a new session with POST /v2/billing/meter_event_session.", null, "billing_meter_event_session_expired");
        }

        return null;
    }

    /// <summary>Handles <c>POST /v2/billing/meter_event_stream</c> (JSON body). All events are validated before any is stored.</summary>
    /// <remarks>
    /// The body is read as a <see cref="JsonDocument"/> (no node tree per event): a benchmark's dispatcher sends tens of
    /// thousands of events a second through here. The checks and their order are those Stripe's answers need.
    /// </remarks>
    public ApiResponse StreamMeterEvents(string rawBody)
    {
        CatchUp();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(rawBody);
        }
        catch (JsonException)
        {
            throw StripeApiException.Invalid("The request body is not valid JSON.");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array)
            {
                throw StripeApiException.Missing("events");
            }

            foreach (var property in root.EnumerateObject())
            {
                if (property.Name != "events")
                {
                    throw new StripeApiException(400, "invalid_request_error", $"Received unknown parameter: {property.Name}", property.Name, "parameter_unknown");
                }
            }

            var count = events.GetArrayLength();
            if (count is 0 or > 100)
            {
                throw StripeApiException.Invalid("events must contain between 1 and 100 events.", "events");
            }

            var parsed = new (string Name, Dictionary<string, string> Payload, string? Identifier, DateTimeOffset Timestamp)[count];
            var i = 0;
            foreach (var e in events.EnumerateArray())
            {
                parsed[i] = ParseStreamEvent(e, i, $"events[{i}].");
                i++;
            }

            // Check every event first, so a bad one rejects the whole request without side effects; then keep them in
            // order (a repeated identifier inside the request is deduped like any other).
            var candidates = new MeterEventRecord[count];
            for (i = 0; i < count; i++)
            {
                var (name, payload, identifier, timestamp) = parsed[i];
                candidates[i] = ValidateMeterEvent(name, payload, identifier, timestamp, $"events[{i}].");
            }

            foreach (var candidate in candidates)
            {
                StoreMeterEvent(candidate, out _);
            }
        }

        // Stripe answers 200 with an empty object; Stripe.net treats any other status as an error.
        return new ApiResponse(200, new JsonObject());
    }

    /// <summary>Reads one event of a stream request: its name, string payload, identifier and timestamp.</summary>
    private (string Name, Dictionary<string, string> Payload, string? Identifier, DateTimeOffset Timestamp) ParseStreamEvent(JsonElement e, int index, string prefix)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw StripeApiException.Invalid("Each event must be an object.", $"events[{index}]");
        }

        foreach (var property in e.EnumerateObject())
        {
            if (property.Name is not ("event_name" or "payload" or "identifier" or "timestamp"))
            {
                throw new StripeApiException(400, "invalid_request_error", $"Received unknown parameter: {prefix}{property.Name}", prefix + property.Name, "parameter_unknown");
            }
        }

        var name = e.TryGetProperty("event_name", out var nameJson) && nameJson.ValueKind == JsonValueKind.String && nameJson.GetString() is { Length: > 0 } n
            ? n
            : throw StripeApiException.Missing(prefix + "event_name");
        if (!e.TryGetProperty("payload", out var payloadJson) || payloadJson.ValueKind != JsonValueKind.Object)
        {
            throw StripeApiException.Missing(prefix + "payload");
        }

        var payload = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in payloadJson.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                throw StripeApiException.Invalid($"payload values must be strings.", $"{prefix}payload.{property.Name}");
            }

            payload[property.Name] = property.Value.GetString()!;
        }

        var identifier = e.TryGetProperty("identifier", out var identifierJson) && identifierJson.ValueKind == JsonValueKind.String ? identifierJson.GetString() : null;

        // A timestamp that is JSON null, an object or an array counts as absent; any other value must be an ISO 8601 string.
        DateTimeOffset timestamp;
        if (e.TryGetProperty("timestamp", out var timestampJson) && timestampJson.ValueKind is not (JsonValueKind.Null or JsonValueKind.Object or JsonValueKind.Array))
        {
            if (timestampJson.ValueKind != JsonValueKind.String ||
                !DateTimeOffset.TryParse(timestampJson.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out timestamp))
            {
                throw StripeApiException.Invalid("timestamp must be an ISO 8601 date-time string.", prefix + "timestamp");
            }
        }
        else
        {
            timestamp = InClockTime(ClockOf(MeterEventCustomer(name, payload)), () => Now);
        }

        return (name, payload, identifier, timestamp);
    }
}
