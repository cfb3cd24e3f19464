using System.Globalization;
using System.Text;
using System.Text.Json;

namespace VaultAI.Billing.Metering.Internal;

/// <summary>
/// The rules every usage event must pass, shared by the HTTP route and <see cref="IUsageRecorder"/>. Pure: it reads the
/// catalog and the clock it is given, and throws a 400 <see cref="BillingException"/> whose field names the event
/// (<c>events[3].quantity</c>).
/// </summary>
internal static class UsageEventValidator
{
    public const int MaxIdLength = 255;
    public const int MaxPropertiesBytes = 2048;

    /// <summary>Largest quantity of one event: totals stay far inside the stored precision (28 digits, 6 decimals).</summary>
    public const decimal MaxQuantity = 1_000_000_000_000m;

    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    public static void ValidateBatch(IReadOnlyList<UsageEvent> events, VaultAIBillingOptions options, DateTimeOffset now)
    {
        ValidateCount(events.Count, options);
        for (var i = 0; i < events.Count; i++)
        {
            ValidateEvent(i, events[i], options, now);
        }
    }

    public static void ValidateCount(int count, VaultAIBillingOptions options)
    {
        var max = options.UsageEvents.MaxEventsPerBatch;
        if (count == 0)
        {
            throw BillingException.Invalid("events", $"'events' must hold 1 to {max} events.", "empty_batch");
        }

        if (count > max)
        {
            throw BillingException.Invalid("events", $"'events' holds {count} events; at most {max} are accepted in one batch.", "too_many_events");
        }
    }

    public static void ValidateEvent(int index, UsageEvent? usageEvent, VaultAIBillingOptions options, DateTimeOffset now)
    {
        if (usageEvent is null)
        {
            var prefix = Prefix(index);
            throw BillingException.Invalid(prefix, $"'{prefix}' must be an event object.", "wrong_type");
        }

        ValidateFields(index, usageEvent.Id, usageEvent.Metric, usageEvent.Quantity, usageEvent.Timestamp, usageEvent.Properties, options, now);
    }

    /// <summary>
    /// The checks of one event's values, in the order callers see them. Field names are built only for the error: a batch
    /// of 1,000 valid events formats no text.
    /// </summary>
    public static void ValidateFields(int index, string? id, string? metricKey, decimal quantity, DateTimeOffset timestamp, JsonElement? properties, VaultAIBillingOptions options, DateTimeOffset now)
    {
        ValidateId(index, id);
        if (string.IsNullOrEmpty(metricKey))
        {
            var prefix = Prefix(index);
            throw BillingException.Invalid(prefix + ".metric", $"'{prefix}.metric' is required.", "missing_field");
        }

        if (!options.Metrics.TryGetValue(metricKey, out var metric))
        {
            var prefix = Prefix(index);
            var known = string.Join(", ", options.Metrics.Keys.Order(StringComparer.Ordinal));
            throw BillingException.Invalid(prefix + ".metric", $"'{prefix}.metric' names an unknown metric '{Shorten(metricKey)}'; known metrics: {known}.", "unknown_metric");
        }

        ValidateQuantity(index, quantity, metric);
        if (timestamp > now + MaxClockSkew)
        {
            var prefix = Prefix(index);
            throw BillingException.Invalid(prefix + ".timestamp", $"'{prefix}.timestamp' is more than 5 minutes in the future; check the sender's clock.", "timestamp_in_future");
        }

        if (properties is { } value)
        {
            ValidateProperties(index, value);
        }
    }

    /// <summary><c>events[3]</c>: the start of every field name of one event.</summary>
    public static string Prefix(int index) => string.Create(CultureInfo.InvariantCulture, $"events[{index}]");

    private static void ValidateId(int index, string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            var field = Prefix(index) + ".id";
            throw BillingException.Invalid(field, $"'{field}' is required: a unique id per event (the idempotency key).", "missing_field");
        }

        if (id.Length > MaxIdLength)
        {
            var field = Prefix(index) + ".id";
            throw BillingException.Invalid(field, $"'{field}' must be at most {MaxIdLength} characters.", "too_long");
        }

        if (HasControlCharacter(id))
        {
            var field = Prefix(index) + ".id";
            throw BillingException.Invalid(field, $"'{field}' must not contain control characters.");
        }

        // In-process callers can build strings no database text can hold (half of a UTF-16 pair).
        if (!IsWellFormed(id))
        {
            var field = Prefix(index) + ".id";
            throw BillingException.Invalid(field, $"'{field}' contains half of a UTF-16 surrogate pair.", "invalid_string");
        }
    }

    // A plain loop: Any(char.IsControl) allocated a delegate and an enumerator for each of a batch's ids.
    private static bool HasControlCharacter(string text)
    {
        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    // Every name and string inside must be text: JSON lets "\ud800" through, and a reader of the stored
    // properties would fail on it later.
    private static bool HoldsOnlyText(JsonElement element)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    return element.GetString() is { } text && !text.Contains('\0', StringComparison.Ordinal);
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        if (property.Name.Contains('\0', StringComparison.Ordinal) || !HoldsOnlyText(property.Value))
                        {
                            return false;
                        }
                    }

                    return true;
                case JsonValueKind.Array:
                    return element.EnumerateArray().All(HoldsOnlyText);
                default:
                    return true;
            }
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void ValidateQuantity(int index, decimal quantity, MetricDefinition metric)
    {
        if (quantity >= 0 && quantity <= MaxQuantity && decimal.Round(quantity, metric.Decimals) == quantity)
        {
            return;
        }

        var field = Prefix(index) + ".quantity";
        if (quantity < 0)
        {
            throw BillingException.Invalid(field, $"'{field}' must be 0 or more.", "negative_quantity");
        }

        if (quantity > MaxQuantity)
        {
            throw BillingException.Invalid(field, $"'{field}' must be at most {MaxQuantity.ToString("N0", CultureInfo.InvariantCulture)}.", "out_of_range");
        }

        // By value, not by how it was written: 1.50 carries one decimal place.
        if (decimal.Round(quantity, metric.Decimals) != quantity)
        {
            throw BillingException.Invalid(field, $"'{field}' carries more than {metric.Decimals} decimal place(s), the most this metric allows.", "too_many_decimals");
        }
    }

    private static void ValidateProperties(int index, JsonElement properties)
    {
        if (properties.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return;
        }

        var field = Prefix(index) + ".properties";
        if (properties.ValueKind != JsonValueKind.Object)
        {
            throw BillingException.Invalid(field, $"'{field}' must be a JSON object.", "wrong_type");
        }

        if (Encoding.UTF8.GetByteCount(properties.GetRawText()) > MaxPropertiesBytes)
        {
            throw BillingException.Invalid(field, $"'{field}' must be at most {MaxPropertiesBytes} bytes of JSON.", "properties_too_large");
        }

        if (!HoldsOnlyText(properties))
        {
            throw BillingException.Invalid(field, $"'{field}' holds a string that is not text (a NUL or half of a UTF-16 surrogate pair).", "invalid_string");
        }
    }

    private static string Shorten(string text) => text.Length > 64 ? text[..64] + "..." : text;
}
