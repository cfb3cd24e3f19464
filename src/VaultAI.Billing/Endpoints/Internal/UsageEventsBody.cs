using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Metering.Internal;

namespace VaultAI.Billing.Endpoints.Internal;

/// <summary>
/// Reads <c>{"events":[{"id","metric","quantity","timestamp","properties"?}]}</c> straight into ledger records, checking each
/// event's shape and then its values (<see cref="UsageEventValidator"/>) in order, so the first bad event names itself
/// (<c>events[3].quantity</c>). Quantities are read as <see cref="decimal"/> straight from the JSON text, never through
/// <see cref="double"/>.
/// </summary>
/// <remarks>
/// A batch holds up to 1,000 events and several are in flight at once, so a valid event costs one record and its id
/// string: no intermediate event object, no field names formatted unless an event is refused, and the metric is the
/// catalog's own key string rather than a copy per event.
/// </remarks>
internal static class UsageEventsBody
{
    private const int MaxTimestampLength = 64;

    /// <summary>The batch's events in the caller's order, validated, repeats of an id included.</summary>
    public static List<UsageEventRecord> Read(JsonElement root, VaultAIBillingOptions options, DateTimeOffset now, string source)
    {
        if (!root.TryGetProperty("events"u8, out var array) || array.ValueKind == JsonValueKind.Null)
        {
            throw BillingException.Invalid("events", "'events' is required: an array of usage events.", "missing_field");
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw BillingException.Invalid("events", "'events' must be an array of usage events.", "wrong_type");
        }

        var count = array.GetArrayLength();
        UsageEventValidator.ValidateCount(count, options);
        var records = new List<UsageEventRecord>(count);
        string? lastMetric = null;
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                var prefix = UsageEventValidator.Prefix(index);
                throw BillingException.Invalid(prefix, $"'{prefix}' must be an object with id, metric, quantity and timestamp.", "wrong_type");
            }

            var id = String(element, index, "id"u8, "id");
            var metric = Metric(element, index, options, ref lastMetric);
            var quantity = Quantity(element, index);
            var timestamp = Timestamp(element, index);
            JsonElement? properties = element.TryGetProperty("properties"u8, out var p) && p.ValueKind != JsonValueKind.Null ? p : null;
            UsageEventValidator.ValidateFields(index, id, metric, quantity, timestamp, properties, options, now);
            records.Add(new UsageEventRecord
            {
                Id = Guid.CreateVersion7(now),
                EventId = id,
                Metric = metric,
                Quantity = quantity,
                OccurredAt = timestamp,
                ReceivedAt = now,
                Source = source,
                Properties = properties is { ValueKind: JsonValueKind.Object } value ? value.GetRawText() : null,
            });
            index++;
        }

        return records;
    }

    private static string Field(int index, string name) => UsageEventValidator.Prefix(index) + "." + name;

    private static string String(JsonElement element, int index, ReadOnlySpan<byte> utf8Name, string name)
    {
        if (!element.TryGetProperty(utf8Name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            var field = Field(index, name);
            throw BillingException.Invalid(field, $"'{field}' is required.", "missing_field");
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            var field = Field(index, name);
            throw BillingException.Invalid(field, $"'{field}' must be a string.", "wrong_type");
        }

        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // A lone UTF-16 surrogate escape: JsonBody.ReadString says so, naming the field.
            return JsonBody.ReadString(value, Field(index, name));
        }
    }

    /// <summary>The catalog's key when the text names one exactly (no copy per event); otherwise the text, for the validator to judge.</summary>
    private static string Metric(JsonElement element, int index, VaultAIBillingOptions options, ref string? last)
    {
        if (!element.TryGetProperty("metric"u8, out var value) || value.ValueKind != JsonValueKind.String)
        {
            return String(element, index, "metric"u8, "metric");
        }

        if (last is not null && value.ValueEquals(last))
        {
            return last;
        }

        foreach (var key in options.Metrics.Keys)
        {
            if (value.ValueEquals(key))
            {
                return last = key;
            }
        }

        return String(element, index, "metric"u8, "metric");
    }

    private static decimal Quantity(JsonElement element, int index)
    {
        if (!element.TryGetProperty("quantity"u8, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            var field = Field(index, "quantity");
            throw BillingException.Invalid(field, $"'{field}' is required.", "missing_field");
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            var field = Field(index, "quantity");
            throw BillingException.Invalid(field, $"'{field}' must be a JSON number.", "wrong_type");
        }

        // TryGetDecimal parses the UTF-8 digits as a decimal; it fails only beyond decimal's range.
        if (value.TryGetDecimal(out var quantity))
        {
            return quantity;
        }

        var outOfRange = Field(index, "quantity");
        throw BillingException.Invalid(outOfRange, $"'{outOfRange}' is out of range.", "out_of_range");
    }

    private static DateTimeOffset Timestamp(JsonElement element, int index)
    {
        if (!element.TryGetProperty("timestamp"u8, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            var field = Field(index, "timestamp");
            throw BillingException.Invalid(field, $"'{field}' is required.", "missing_field");
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            var field = Field(index, "timestamp");
            throw BillingException.Invalid(field, $"'{field}' must be a string such as 2026-11-03T03:00:00Z.", "wrong_type");
        }

        // The usual form, 2026-11-03T03:00:00Z without escapes, is read from the UTF-8 bytes without making a string; it
        // carries its offset (Z) by construction. Anything else takes the general path below, whose rules decide.
        var raw = JsonMarshal.GetRawUtf8Value(value);
        if (raw.Length <= MaxTimestampLength + 2 && raw.Length > 3 && raw[^2] == (byte)'Z' && raw.IndexOf((byte)'\\') < 0
            && value.TryGetDateTimeOffset(out var fast))
        {
            return fast.ToUniversalTime();
        }

        var text = String(element, index, "timestamp"u8, "timestamp");

        // Same rule as the seeds' routes: an offset is required, a bare local time would be read differently on every host.
        var t = text.IndexOf('T', StringComparison.OrdinalIgnoreCase);
        var hasOffset = text.EndsWith('Z') || text.EndsWith('z') || (t > 0 && (text.IndexOf('+', t) > 0 || text.IndexOf('-', t) > 0));
        if (text.Length <= MaxTimestampLength && hasOffset && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            return parsed.ToUniversalTime();
        }

        var invalid = Field(index, "timestamp");
        throw BillingException.Invalid(invalid, $"'{invalid}' must be an ISO 8601 date and time with an offset, such as 2026-11-03T03:00:00Z.", "invalid_timestamp");
    }
}
