using System.Collections;
using System.Globalization;
using System.Text;

namespace VaultAI.Billing.Stripe.Internal;

/// <summary>
/// An ordered list of Stripe request parameters. <see cref="Add"/> skips <see langword="null"/> so option
/// classes can add every property and only the ones the caller set reach the wire.
/// </summary>
internal sealed class FormParams : IEnumerable<KeyValuePair<string, object?>>
{
    private readonly List<KeyValuePair<string, object?>> _items = [];

    public int Count => _items.Count;

    public FormParams Add(string key, object? value)
    {
        if (value is not null)
        {
            _items.Add(new KeyValuePair<string, object?>(key, value));
        }

        return this;
    }

    public FormParams AddRange(IEnumerable<KeyValuePair<string, object?>>? other)
    {
        if (other is not null)
        {
            _items.AddRange(other);
        }

        return this;
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// Encodes parameters the way Stripe's v1 API expects them in a form body or query string:
/// nested objects as <c>parent[child]=v</c>, lists indexed as <c>list[0]=v</c>, brackets left
/// unescaped, everything else percent-encoded with only the RFC 3986 unreserved set left as is.
/// A <see langword="null"/> or empty value is sent as <c>key=</c>, which Stripe reads as "unset".
/// </summary>
internal static class FormEncoder
{
    public static string Encode(IEnumerable<KeyValuePair<string, object?>> parameters)
    {
        var builder = new StringBuilder();
        foreach (var pair in parameters)
        {
            Append(builder, EscapeKey(pair.Key), pair.Value);
        }

        return builder.ToString();
    }

    private static void Append(StringBuilder builder, string key, object? value)
    {
        switch (value)
        {
            case null:
                AppendPair(builder, key, string.Empty);
                break;
            case string text:
                AppendPair(builder, key, text);
                break;
            case bool flag:
                AppendPair(builder, key, flag ? "true" : "false");
                break;
            case DateTimeOffset instant:
                AppendPair(builder, key, instant.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
                break;
            case DateTime:
                // A DateTime has an ambiguous offset; the option classes only use DateTimeOffset.
                throw new ArgumentException($"Parameter '{key}' is a DateTime; use DateTimeOffset.", nameof(value));
            case IEnumerable<KeyValuePair<string, object?>> nested:
                AppendObject(builder, key, nested.Select(p => (p.Key, p.Value)));
                break;
            case IEnumerable<KeyValuePair<string, string?>> dictionary:
                AppendObject(builder, key, dictionary.Select(p => (p.Key, (object?)p.Value)));
                break;
            case IEnumerable list:
                var index = 0;
                foreach (var item in list)
                {
                    Append(builder, key + "[" + index.ToString(CultureInfo.InvariantCulture) + "]", item);
                    index++;
                }

                if (index == 0)
                {
                    AppendPair(builder, key, string.Empty);
                }

                break;
            case IFormattable number:
                AppendPair(builder, key, number.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                AppendPair(builder, key, Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty);
                break;
        }
    }

    private static void AppendObject(StringBuilder builder, string key, IEnumerable<(string Key, object? Value)> entries)
    {
        var any = false;
        foreach (var (childKey, childValue) in entries)
        {
            Append(builder, key + "[" + EscapeKey(childKey) + "]", childValue);
            any = true;
        }

        if (!any)
        {
            // An empty object clears the whole field (e.g. all metadata).
            AppendPair(builder, key, string.Empty);
        }
    }

    private static void AppendPair(StringBuilder builder, string key, string value)
    {
        if (builder.Length > 0)
        {
            builder.Append('&');
        }

        builder.Append(key).Append('=').Append(Uri.EscapeDataString(value));
    }

    private static string EscapeKey(string key) =>
        Uri.EscapeDataString(key).Replace("%5B", "[", StringComparison.Ordinal).Replace("%5D", "]", StringComparison.Ordinal);
}
