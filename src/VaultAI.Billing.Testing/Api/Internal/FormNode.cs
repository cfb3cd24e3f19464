using System.Globalization;
using System.Net;

namespace VaultAI.Billing.Testing.Api.Internal;

/// <summary>
/// A parsed form-encoded body (or query string) as a tree: <c>items[0][price]=p</c> becomes
/// <c>items -> 0 -> price = p</c>; <c>expand[]=a</c> appends an index.
/// </summary>
internal sealed class FormNode
{
    private readonly List<string> _order = [];
    private readonly Dictionary<string, FormNode> _children = new(StringComparer.Ordinal);

    public string? Value { get; private set; }

    public bool HasChildren => _children.Count > 0;

    public IEnumerable<KeyValuePair<string, FormNode>> Children => _order.Select(k => new KeyValuePair<string, FormNode>(k, _children[k]));

    /// <summary>The raw pairs in arrival order, keys decoded.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Pairs { get; private init; } = [];

    public static FormNode Parse(string? raw)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        if (!string.IsNullOrEmpty(raw))
        {
            foreach (var part in raw.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                var key = WebUtility.UrlDecode(eq < 0 ? part : part[..eq]);
                var value = eq < 0 ? string.Empty : WebUtility.UrlDecode(part[(eq + 1)..]);
                pairs.Add(new(key, value));
            }
        }

        var root = new FormNode { Pairs = pairs };
        foreach (var (key, value) in pairs)
        {
            var node = root;
            foreach (var segment in Split(key))
            {
                var name = segment.Length == 0 ? node._children.Count.ToString(CultureInfo.InvariantCulture) : segment;
                if (!node._children.TryGetValue(name, out var child))
                {
                    child = new FormNode();
                    node._children[name] = child;
                    node._order.Add(name);
                }

                node = child;
            }

            node.Value = value;
        }

        return root;
    }

    /// <summary>Splits <c>a[b][0][]</c> into <c>a, b, 0, ""</c>.</summary>
    public static List<string> Split(string key)
    {
        var segments = new List<string>();
        var open = key.IndexOf('[', StringComparison.Ordinal);
        if (open < 0)
        {
            segments.Add(key);
            return segments;
        }

        segments.Add(key[..open]);
        var i = open;
        while (i < key.Length && key[i] == '[')
        {
            var close = key.IndexOf(']', i);
            if (close < 0)
            {
                segments.Add(key[(i + 1)..]);
                return segments;
            }

            segments.Add(key[(i + 1)..close]);
            i = close + 1;
        }

        return segments;
    }

    public FormNode? Node(string name) => _children.GetValueOrDefault(name);

    public bool Has(string name) => _children.ContainsKey(name);

    public string? Str(string name) => Node(name)?.Value;

    /// <summary>A required non-empty string.</summary>
    public string Required(string name, string? paramPath = null)
    {
        var value = Str(name);
        if (string.IsNullOrEmpty(value))
        {
            throw StripeApiException.Missing(paramPath ?? name);
        }

        return value;
    }

    public long? Long(string name, string? paramPath = null)
    {
        var value = Str(name);
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var result))
        {
            throw StripeApiException.Invalid($"Invalid integer: {value}", paramPath ?? name);
        }

        return result;
    }

    public decimal? Decimal(string name, string? paramPath = null)
    {
        var value = Str(name);
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (!decimal.TryParse(value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var result))
        {
            throw StripeApiException.Invalid($"Invalid decimal: {value}", paramPath ?? name);
        }

        return result;
    }

    public bool? Bool(string name, string? paramPath = null)
    {
        var value = Str(name);
        return value switch
        {
            null or "" => null,
            "true" => true,
            "false" => false,
            _ => throw StripeApiException.Invalid($"Invalid boolean: {value}", paramPath ?? name),
        };
    }

    /// <summary>The children of an array parameter, in index order.</summary>
    public IReadOnlyList<(string Index, FormNode Node)> List(string name)
    {
        var node = Node(name);
        if (node is null)
        {
            return [];
        }

        return node.Children
            .Select(c => (c.Key, c.Value))
            .OrderBy(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue)
            .ToList();
    }

    /// <summary>The string values of an array parameter (<c>expand[0]=a</c> or <c>expand[]=a</c>).</summary>
    public IReadOnlyList<string> Strings(string name) =>
        List(name).Select(c => c.Node.Value).Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).ToList();

    /// <summary>A map parameter such as <c>metadata[k]=v</c>; empty values mean "unset".</summary>
    public Dictionary<string, string> Map(string name)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Node(name) is { } node)
        {
            foreach (var (key, child) in node.Children)
            {
                result[key] = child.Value ?? string.Empty;
            }
        }

        return result;
    }
}
