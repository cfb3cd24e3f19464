using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using VaultAI.Billing.Testing.Api.Internal;
using VaultAI.Billing.Testing.Webhooks.Internal;

namespace VaultAI.Billing.Testing.State.Internal;

/// <summary>
/// The emulator's in-memory Stripe account. Every read and write happens under <see cref="Gate"/>;
/// requests are therefore serialised, which keeps behaviour deterministic for tests.
/// </summary>
internal sealed partial class Engine
{
    public const string ApiVersion = "2026-10-28.endive";

    private readonly TimeProvider _clock;
    private readonly StripeEmulatorOptions _options;
    private readonly WebhookDispatcher _dispatcher;
    private long _sequence;
    private DateTimeOffset? _frozenNow;
    private int _invoiceNumber;

    public Engine(TimeProvider clock, StripeEmulatorOptions options, WebhookDispatcher dispatcher)
    {
        _clock = clock;
        _options = options;
        _dispatcher = dispatcher;
    }

    public object Gate { get; } = new();

    public Uri BaseAddress { get; set; } = new("http://127.0.0.1/");

    public Dictionary<string, Customer> Customers { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Product> Products { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Price> Prices { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Meter> Meters { get; } = new(StringComparer.Ordinal);

    /// <summary>Accepted meter events in arrival order (appended, never scanned on the write path).</summary>
    public List<MeterEventRecord> MeterEvents { get; } = [];

    /// <summary>Accepted meter events by identifier: the dedupe index.</summary>
    public Dictionary<string, MeterEventRecord> MeterEventsByIdentifier { get; } = new(StringComparer.Ordinal);

    /// <summary>Accepted meter events by (customer, event name): what a summary reads.</summary>
    public Dictionary<(string CustomerId, string EventName), List<MeterEventRecord>> MeterEventsByCustomer { get; } = [];

    /// <summary>Meters by event name (event names are unique among meters).</summary>
    public Dictionary<string, Meter> MetersByEventName { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Subscription> Subscriptions { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, Invoice> Invoices { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, CheckoutSession> CheckoutSessions { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, PortalSession> PortalSessions { get; } = new(StringComparer.Ordinal);

    public List<EventRecord> Events { get; } = [];

    public Dictionary<string, IdempotentResult> IdempotentResults { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, MeterEventSession> MeterEventSessions { get; } = new(StringComparer.Ordinal);

    /// <summary>The API request being handled, named in the events it causes.</summary>
    public (string RequestId, string? IdempotencyKey)? CurrentRequest { get; set; }

    /// <summary>
    /// The time of the operation being run: the frozen time of the test clock it belongs to (set by
    /// <see cref="InClockTime{T}"/>), otherwise the emulator's clock.
    /// </summary>
    public DateTimeOffset Now => _frozenNow ?? _clock.GetUtcNow();

    /// <summary>Runs <paramref name="action"/> in the time of a test clock (<see langword="null"/>: the emulator's clock).</summary>
    public T InClockTime<T>(string? testClockId, Func<T> action)
    {
        var previous = _frozenNow;
        _frozenNow = testClockId is not null && TestClocks.TryGetValue(testClockId, out var clock) ? clock.FrozenTime : null;
        try
        {
            return action();
        }
        finally
        {
            _frozenNow = previous;
        }
    }

    /// <summary>The test clock a customer is attached to, if any.</summary>
    public string? ClockOf(string? customerId) =>
        customerId is not null && Customers.TryGetValue(customerId, out var customer) ? customer.TestClockId : null;

    public long NextSequence() => ++_sequence;

    public static long Unix(DateTimeOffset value) => value.ToUnixTimeSeconds();

    public static JsonNode? Unix(DateTimeOffset? value) => value is { } v ? JsonValue.Create(v.ToUnixTimeSeconds()) : null;

    public static JsonObject MetadataJson(Dictionary<string, string> metadata)
    {
        var result = new JsonObject();
        foreach (var (key, value) in metadata)
        {
            result[key] = value;
        }

        return result;
    }

    public static string FormatDecimal(decimal value) => value.ToString("0.############", CultureInfo.InvariantCulture);

    /// <summary>Records an event and queues its webhook deliveries.</summary>
    public void Emit(string type, JsonObject dataObject, JsonObject? previousAttributes, DateTimeOffset at)
    {
        var id = Ids.New("evt_");
        var data = new JsonObject { ["object"] = dataObject };
        if (previousAttributes is not null)
        {
            data["previous_attributes"] = previousAttributes;
        }

        var evt = new JsonObject
        {
            ["id"] = id,
            ["object"] = "event",
            ["api_version"] = ApiVersion,
            ["created"] = Unix(at),
            ["data"] = data,
            ["livemode"] = false,
            ["pending_webhooks"] = _dispatcher.EndpointCount,
            ["request"] = new JsonObject
            {
                ["id"] = CurrentRequest?.RequestId,
                ["idempotency_key"] = CurrentRequest?.IdempotencyKey,
            },
            ["type"] = type,
        };
        var json = evt.ToJsonString();
        Events.Add(new EventRecord { Id = id, Type = type, Created = at, Sequence = NextSequence(), Json = json });
        _dispatcher.Enqueue(id, type, json);
    }

    /// <summary>Renders a Stripe list object with <c>limit</c>/<c>starting_after</c>/<c>ending_before</c>.</summary>
    public static JsonObject RenderList<T>(IEnumerable<T> newestFirst, Func<T, string> id, Func<T, JsonNode> render, FormNode query, string url, string resource)
        where T : class
    {
        var limit = Limit(query);
        var all = newestFirst.ToList();
        var start = 0;
        var end = all.Count;
        if (query.Str("starting_after") is { Length: > 0 } after)
        {
            var index = all.FindIndex(x => id(x) == after);
            if (index < 0)
            {
                throw StripeApiException.NotFound(resource, after, "starting_after");
            }

            start = index + 1;
        }
        else if (query.Str("ending_before") is { Length: > 0 } before)
        {
            var index = all.FindIndex(x => id(x) == before);
            if (index < 0)
            {
                throw StripeApiException.NotFound(resource, before, "ending_before");
            }

            end = index;
            start = Math.Max(0, end - limit);
        }

        var page = all.Skip(start).Take(Math.Min(limit, end - start)).ToList();
        var data = new JsonArray();
        foreach (var item in page)
        {
            data.Add(render(item));
        }

        return new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["has_more"] = start + page.Count < end || (query.Has("ending_before") && start > 0),
            ["url"] = url,
        };
    }

    public static int Limit(FormNode query)
    {
        var limit = query.Long("limit") ?? 10;
        if (limit is < 1 or > 100)
        {
            throw StripeApiException.Invalid("Invalid limit: must be between 1 and 100", "limit");
        }

        return (int)limit;
    }

    public static HashSet<string> Expand(FormNode form, bool list = false)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in form.Strings("expand"))
        {
            result.Add(list && value.StartsWith("data.", StringComparison.Ordinal) ? value["data.".Length..] : value);
        }

        return result;
    }

    public JsonNode Clone(JsonNode node) => JsonNode.Parse(node.ToJsonString())!;

    public static string Serialize(JsonNode node) => node.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
