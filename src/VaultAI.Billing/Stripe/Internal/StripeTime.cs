using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace VaultAI.Billing.Stripe.Internal;

/// <summary>
/// Stripe's times are unix seconds; Stripe.net reads them as UTC <see cref="DateTime"/>s and our model keeps
/// <see cref="DateTimeOffset"/>s. Stripe.net throws on a negative or huge value and silently reads any value above
/// <see cref="MaxUnixSeconds"/> as milliseconds (year 10000 in seconds becomes 1978), so a raw event is checked here
/// before Stripe.net reads it: a time outside [0, <see cref="MaxUnixSeconds"/>] cannot be a Stripe date.
/// </summary>
internal static class StripeTime
{
    /// <summary>The largest value Stripe.net reads as seconds (2286-11-20); above it, it reads milliseconds.</summary>
    public const long MaxUnixSeconds = 9_999_999_999;

    // Every JSON property Stripe.net reads as a unix time, found once from its own DateTime properties, so a field
    // Stripe adds in a later release is covered when Stripe.net is updated.
    private static readonly Lazy<FrozenSet<string>> TimeProperties = new(FindTimeProperties);

    public static DateTimeOffset ToUtcOffset(this DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    public static DateTimeOffset? ToUtcOffset(this DateTime? value) => value?.ToUtcOffset();

    /// <summary>Whether <paramref name="seconds"/> is a unix time Stripe could send (and Stripe.net reads as seconds).</summary>
    public static bool IsUnixSeconds(long seconds) => seconds is >= 0 and <= MaxUnixSeconds;

    /// <summary>Reads a JSON number as a Stripe time, or <see langword="null"/> when it cannot be one.</summary>
    public static DateTimeOffset? TryRead(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds) && IsUnixSeconds(seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    /// <summary>
    /// The JSON path of the first number under a time property (<c>created</c>, <c>trial_end</c>,
    /// <c>current_period_end</c>...) that is not a unix time in range, or <see langword="null"/> when all are.
    /// Values of other kinds (strings, objects) are left to Stripe.net, which rejects them.
    /// </summary>
    public static string? FindInvalidTime(JsonElement element) => FindInvalidTime(element, "$", 0);

    private static string? FindInvalidTime(JsonElement element, string path, int depth)
    {
        // Stripe objects nest a handful of levels; a deeper document is not one (and recursion stays bounded).
        if (depth > 64)
        {
            return path;
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var child = path + "." + property.Name;
                    if (property.Value.ValueKind == JsonValueKind.Number && TimeProperties.Value.Contains(property.Name) && TryRead(property.Value) is null)
                    {
                        return child;
                    }

                    if (FindInvalidTime(property.Value, child, depth + 1) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindInvalidTime(item, $"{path}[{index++}]", depth + 1) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static FrozenSet<string> FindTimeProperties()
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { "created" };
        foreach (var type in typeof(global::Stripe.StripeEntity).Assembly.GetExportedTypes())
        {
            if (!typeof(global::Stripe.StripeEntity).IsAssignableFrom(type))
            {
                continue;
            }

            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            {
                if ((property.PropertyType == typeof(DateTime) || property.PropertyType == typeof(DateTime?))
                    && (property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? property.GetCustomAttribute<Newtonsoft.Json.JsonPropertyAttribute>()?.PropertyName) is { } name)
                {
                    names.Add(name);
                }
            }
        }

        return names.ToFrozenSet(StringComparer.Ordinal);
    }
}
