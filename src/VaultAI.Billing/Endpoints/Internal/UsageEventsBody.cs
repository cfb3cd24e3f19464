using System.Globalization;
using System.Text.Json;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Metering.Internal;

namespace VaultAI.Billing.Endpoints.Internal;

/// <summary>
/// Reads <c>{"events":[{"id","metric","quantity","timestamp","properties"?}]}</c> into events, checking each event's shape
/// and then its values (<see cref="UsageEventValidator"/>) in order, so the first bad event names itself
/// (<c>events[3].quantity</c>). Quantities are read as <see cref="decimal"/> straight from the JSON text, never through
/// <see cref="double"/>.
/// </summary>
internal static class UsageEventsBody
{
    public static List<UsageEvent> Read(JsonElement root, VaultAIBillingOptions options, DateTimeOffset now)
    {
        if (!root.TryGetProperty("events", out var array) || array.ValueKind == JsonValueKind.Null)
        {
            throw BillingException.Invalid("events", "'events' is required: an array of usage events.", "missing_field");
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw BillingException.Invalid("events", "'events' must be an array of usage events.", "wrong_type");
        }

        UsageEventValidator.ValidateCount(array.GetArrayLength(), options);
        var events = new List<UsageEvent>(array.GetArrayLength());
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            var usageEvent = ReadEvent(index, element);
            UsageEventValidator.ValidateEvent(index, usageEvent, options, now);
            events.Add(usageEvent);
            index++;
        }

        return events;
    }

    private static UsageEvent ReadEvent(int index, JsonElement element)
    {
        var prefix = $"events[{index}]";
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw BillingException.Invalid(prefix, $"'{prefix}' must be an object with id, metric, quantity and timestamp.", "wrong_type");
        }

        var id = String(element, prefix, "id");
        var metric = String(element, prefix, "metric");
        var quantity = Quantity(element, prefix + ".quantity");
        var timestamp = Timestamp(element, prefix + ".timestamp");
        JsonElement? properties = element.TryGetProperty("properties", out var p) && p.ValueKind != JsonValueKind.Null ? p.Clone() : null;
        return new UsageEvent(id, metric, quantity, timestamp, properties);
    }

    private static string String(JsonElement element, string prefix, string name)
    {
        var field = $"{prefix}.{name}";
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw BillingException.Invalid(field, $"'{field}' is required.", "missing_field");
        }

        return value.ValueKind == JsonValueKind.String
            ? JsonBody.ReadString(value, field)
            : throw BillingException.Invalid(field, $"'{field}' must be a string.", "wrong_type");
    }

    private static decimal Quantity(JsonElement element, string field)
    {
        if (!element.TryGetProperty("quantity", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw BillingException.Invalid(field, $"'{field}' is required.", "missing_field");
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            throw BillingException.Invalid(field, $"'{field}' must be a JSON number.", "wrong_type");
        }

        // TryGetDecimal parses the UTF-8 digits as a decimal; it fails only beyond decimal's range.
        return value.TryGetDecimal(out var quantity)
            ? quantity
            : throw BillingException.Invalid(field, $"'{field}' is out of range.", "out_of_range");
    }

    private static DateTimeOffset Timestamp(JsonElement element, string field)
    {
        if (!element.TryGetProperty("timestamp", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw BillingException.Invalid(field, $"'{field}' is required.", "missing_field");
        }

        var text = value.ValueKind == JsonValueKind.String
            ? JsonBody.ReadString(value, field)
            : throw BillingException.Invalid(field, $"'{field}' must be a string such as 2026-11-03T03:00:00Z.", "wrong_type");

        // Same rule as the seeds' routes: an offset is required, a bare local time would be read differently on every host.
        var t = text.IndexOf('T', StringComparison.OrdinalIgnoreCase);
        var hasOffset = text.EndsWith('Z') || text.EndsWith('z') || (t > 0 && (text.IndexOf('+', t) > 0 || text.IndexOf('-', t) > 0));
        return text.Length <= 64 && hasOffset && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
            ? parsed.ToUniversalTime()
            : throw BillingException.Invalid(field, $"'{field}' must be an ISO 8601 date and time with an offset, such as 2026-11-03T03:00:00Z.", "invalid_timestamp");
    }
}
