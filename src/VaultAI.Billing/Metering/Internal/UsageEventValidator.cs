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
        var prefix = $"events[{index}]";
        if (usageEvent is null)
        {
            throw BillingException.Invalid(prefix, $"'{prefix}' must be an event object.", "wrong_type");
        }

        ValidateId(prefix + ".id", usageEvent.Id);
        if (string.IsNullOrEmpty(usageEvent.Metric))
        {
            throw BillingException.Invalid(prefix + ".metric", $"'{prefix}.metric' is required.", "missing_field");
        }

        if (!options.Metrics.TryGetValue(usageEvent.Metric, out var metric))
        {
            var known = string.Join(", ", options.Metrics.Keys.Order(StringComparer.Ordinal));
            throw BillingException.Invalid(prefix + ".metric", $"'{prefix}.metric' names an unknown metric '{Shorten(usageEvent.Metric)}'; known metrics: {known}.", "unknown_metric");
        }

        ValidateQuantity(prefix + ".quantity", usageEvent.Quantity, metric);
        if (usageEvent.Timestamp > now + MaxClockSkew)
        {
            throw BillingException.Invalid(prefix + ".timestamp", $"'{prefix}.timestamp' is more than 5 minutes in the future; check the sender's clock.", "timestamp_in_future");
        }

        if (usageEvent.Properties is { } properties)
        {
            ValidateProperties(prefix + ".properties", properties);
        }
    }

    private static void ValidateId(string field, string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw BillingException.Invalid(field, $"'{field}' is required: a unique id per event (the idempotency key).", "missing_field");
        }

        if (id.Length > MaxIdLength)
        {
            throw BillingException.Invalid(field, $"'{field}' must be at most {MaxIdLength} characters.", "too_long");
        }

        if (id.Any(char.IsControl))
        {
            throw BillingException.Invalid(field, $"'{field}' must not contain control characters.");
        }

        // In-process callers can build strings no database text can hold (half of a UTF-16 pair).
        if (!IsWellFormed(id))
        {
            throw BillingException.Invalid(field, $"'{field}' contains half of a UTF-16 surrogate pair.", "invalid_string");
        }
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

    private static void ValidateQuantity(string field, decimal quantity, MetricDefinition metric)
    {
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

    private static void ValidateProperties(string field, JsonElement properties)
    {
        if (properties.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return;
        }

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
