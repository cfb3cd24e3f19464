using System.Globalization;
using System.Text;

namespace BillingHost.IntegrationTests.Fuzz;

/// <summary>One generated request: what it is (for the failure message), and what to send.</summary>
internal sealed record FuzzCase(
    FuzzRoute Route,
    string Description,
    string Path,
    byte[]? Body,
    string? ContentType,
    string? Authorization,
    KeyValuePair<string, string>? Header = null);

/// <summary>
/// Generates hostile requests from a seeded <see cref="Random"/>: the same seed gives the same cases, so a failure
/// reproduces. Every class of the issue: malformed JSON, wrong types, overflowing and negative numbers, NaN strings,
/// huge strings, control and surrogate characters, invalid UTF-8, duplicate keys, missing and extra fields, wrong content
/// types, far-past and far-future dates, non-UUID and nil ids, empty and oversized bodies, hostile paths and queries.
/// </summary>
internal sealed class FuzzCaseGenerator(Random random, FuzzTargets targets, int maxBodyBytes)
{
    private static readonly string[] MalformedJson =
    [
        "{", "}", "[", "[]", "[{}]", "null", "true", "0", "\"text\"", "{]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}", "{'a':1}",
        "{a:1}", "{\"a\":01}", "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":-}", "{\"a\":1e}", "{\"a\":.5}", "{\"a\":\"\\x41\"}",
        "{\"a\":\"\\u12\"}", "{\"a\":\"unterminated}", "{\"a\":tru}", "{\"a\":1}{\"b\":2}", "{} trailing", "/* c */{}", "{\"a\":1 // c\n}",
        "\uFEFF{}", "{\"a\":\"\t\"}", "{\"a\":\"\n\"}", " \r\n\t ", "{\"a\":[1,2,]}", "{\"\\ud800\":1}", "{\"\\u0000\":1}",
    ];

    private static readonly string[] WrongTypes = ["123", "-1", "0", "1.5", "true", "false", "null", "[]", "{}", "[1,2]", "{\"a\":1}", "\"\"", "\"   \"", "[\"a\"]"];

    private static readonly string[] Numbers =
    [
        "1e400", "-1e400", "1e-400", "99999999999999999999999999999", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "-9223372036854775809", "2147483648", "-2147483649", "-1", "-0", "0.0", "4.0", "1E3", "1.0000000000000000000001", "-0.5",
        "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "\"1\"", "\"0x10\"", "\"1e3\"", "\"\"",
    ];

    private static readonly string[] Strings =
    [
        "\"\\u0000\"", "\"a\\u001fb\"", "\"\\u007f\"", "\"\\u0085\"", "\"\\ud800\"", "\"\\udfff\"", "\"\\ud800\\u0041\"", "\"\\udc00\\ud800\"",
        "\"x\\ud83d\"", "\"\\ud83d\\ude00\"", "\"\\u202e\"", "\"\\ufeff\"", "\"\\u200b\"", "\"\\\\\"", "\"\\\"q\\\"\"", "\"<script>alert(1)</script>\"",
        "\"' OR 1=1 --\"", "\"%00\"", "\"\\n\\r\\t\"", "\"../../etc/passwd\"", "\"\\uffff\"", "\"\\ufffe\"",
    ];

    private static readonly string[] Ids =
    [
        "\"not-a-uuid\"", "\"00000000-0000-0000-0000-000000000000\"", "\"{00000000-0000-0000-0000-000000000000}\"", "\"0\"",
        "\"3f2504e0-4f89-11d3-9a0c-0305e82c330\"", "\"3f2504e0-4f89-11d3-9a0c-0305e82c3301x\"", "\"{3f2504e0-4f89-11d3-9a0c-0305e82c3301}\"",
        "\"3F2504E04F8911D39A0C0305E82C3301\"", "\"(3f2504e0-4f89-11d3-9a0c-0305e82c3301)\"", "\"3f2504e0-4f89-11d3-9a0c-0305e82c3301\"",
        "\"zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz\"", "\" 3f2504e0-4f89-11d3-9a0c-0305e82c3301 \"",
    ];

    private static readonly string[] Timestamps =
    [
        "\"0001-01-01T00:00:00Z\"", "\"0001-01-01T00:00:00+14:00\"", "\"9999-12-31T23:59:59Z\"", "\"9999-12-31T23:59:59-14:00\"",
        "\"1970-01-01T00:00:00Z\"", "\"1900-02-29T00:00:00Z\"", "\"2026-02-30T00:00:00Z\"", "\"2026-13-45T99:99:99Z\"", "\"2026-11-03\"",
        "\"2026-11-03T03:00:00\"", "\"2026-11-03T03:00:00+25:00\"", "\"2026-11-03T03:00:00.123456789Z\"", "\"3000-01-01T00:00:00Z\"",
        "\"2026-11-03T03:00:00Z junk\"", "\"tomorrow\"", "1762138800", "\"-2026-11-03T03:00:00Z\"", "\"+002026-11-03T03:00:00Z\"",
        "\"2026-W45-1T03:00:00Z\"", "\"Mon, 03 Nov 2026 03:00:00 GMT\"",
    ];

    private static readonly string[] Emails =
    [
        "\"@\"", "\"a@\"", "\"@example.com\"", "\"a@b\"", "\"a@b.\"", "\"a@.com\"", "\"a@@example.com\"", "\"Ann <ann@example.com>\"",
        "\"\\\"ann\\\"@example.com\"", "\"ann@[127.0.0.1]\"", "\"ann@example..com\"", "\"ann @example.com\"", "\"ann@example.com\\n\"",
        "\"ann@exa_mple.com\"", "\".ann@example.com\"",
    ];

    private static readonly string[] ContentTypes =
    [
        "text/plain", "text/json", "text/x-json", "application/jsonp", "application/x-www-form-urlencoded", "multipart/form-data; boundary=json",
        "application/json; charset=iso-8859-1", "application/json; charset=utf-16", "application/xml", "*/*", "application/*",
        "application/+json", "json", ";;;", "application/json; charset=", "application/json;;", "image/png",
    ];

    private static readonly string[] PathIds =
    [
        "not-a-uuid", "00000000-0000-0000-0000-000000000000", "0", "%01", "%ff%fe", "%ED%A0%80", "..%2f..%2f", "3f2504e0-4f89-11d3-9a0c-0305e82c330",
        "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}", "%20", "x;y", "a%0d%0ab", "1e400", "-1",
    ];

    private static readonly string[] QueryValues =
    [
        "", "-1", "0", "1", "1001", "2147483648", "99999999999999999999", "abc", "true", "false", "TRUE", "pending", "sent", "failed",
        "%00", "%ff", "%ED%A0%80", "1e3", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00", "2026-11-03T03:00:00Z", "%27%20OR%201%3D1",
    ];

    private readonly Random _random = random;

    public IEnumerable<FuzzCase> For(FuzzRoute route)
    {
        for (var i = 0; i < route.Cases; i++)
        {
            yield return route.HasBody ? BodyCase(route) : PathOrQueryCase(route);
        }
    }

    private FuzzCase BodyCase(FuzzRoute route)
    {
        var fields = route.Body.Select(f => (f.Name, Value: Valid(f))).ToList();
        var path = route.Path(PathIdFor(route, hostile: _random.Next(10) == 0));
        var contentType = "application/json";
        string description;
        byte[] body;
        switch (_random.Next(11))
        {
            case 0:
                description = "malformed JSON";
                body = Utf8(Pick(MalformedJson));
                break;
            case 1:
                var cut = Object(fields);
                var at = _random.Next(1, cut.Length);
                description = $"truncated at {at}";
                body = Utf8(cut[..at]);
                break;
            case 2:
                description = ReplaceOne(fields, _ => Pick(WrongTypes), "wrong type");
                body = Utf8(Object(fields));
                break;
            case 3:
                description = ReplaceOne(fields, KindValue, "hostile value");
                body = Utf8(Object(fields));
                break;
            case 4:
                description = ReplaceOne(fields, _ => Pick(_random.Next(2) == 0 ? Numbers : Strings), "number or string");
                body = Utf8(Object(fields));
                break;
            case 5:
                description = ReplaceOne(fields, _ => HugeString(), "huge string");
                body = Utf8(Object(fields));
                break;
            case 6:
                var dropped = fields[_random.Next(fields.Count)].Name;
                fields.RemoveAll(f => f.Name == dropped);
                if (_random.Next(2) == 0)
                {
                    fields.Add(("extra_" + _random.Next(100).ToString(CultureInfo.InvariantCulture), Pick(WrongTypes)));
                }

                description = $"missing {dropped}";
                body = Utf8(Object(fields));
                break;
            case 7:
                var duplicate = fields[_random.Next(fields.Count)];
                fields.Add((duplicate.Name, _random.Next(2) == 0 ? duplicate.Value : Pick(WrongTypes)));
                description = $"duplicate {duplicate.Name}";
                body = Utf8(Object(fields));
                break;
            case 8:
                contentType = _random.Next(5) == 0 ? null : Pick(ContentTypes);
                description = $"content type {contentType ?? "(none)"}";
                body = Utf8(Object(fields));
                break;
            case 9:
                (description, body) = SizeCase(fields);
                break;
            default:
                (description, body) = InvalidUtf8Case(fields);
                break;
        }

        var authorization = Authorization(route, out var authDescription);
        KeyValuePair<string, string>? header = null;
        if (route.Caller == FuzzCaller.Instance && _random.Next(8) == 0)
        {
            header = new("Idempotency-Key", Pick(["", " ", "k\u0001", "ключ", "k\tk", new string('k', 256), new string('k', 5_000), "k k", "\"k\"", "k\u007f"]));
            authDescription += $" Idempotency-Key {Shorten(header.Value.Value)}";
        }

        if (route.Wrap is { } wrap)
        {
            body = wrap(body);
        }

        return new FuzzCase(route, description + authDescription, path, body, contentType, authorization, header);
    }

    private FuzzCase PathOrQueryCase(FuzzRoute route)
    {
        var hostilePath = route.HasPathId && (route.Query is null || _random.Next(2) == 0);
        var path = route.Path(PathIdFor(route, hostile: hostilePath));
        var description = hostilePath ? "hostile path" : "valid path";
        if (route.Query is { Count: > 0 } names)
        {
            var parts = new List<string>();
            foreach (var name in names.Where(_ => _random.Next(2) == 0))
            {
                var value = _random.Next(8) == 0 ? new string('9', 3000) : Pick(QueryValues);
                parts.Add($"{name}={value}");
                if (_random.Next(6) == 0)
                {
                    parts.Add($"{name}={Pick(QueryValues)}"); // the same parameter twice
                }
            }

            path += "?" + string.Join("&", parts);
            description += " query " + string.Join("&", parts.Select(p => p.Length > 40 ? p[..40] + "…" : p));
        }

        // Some GET and no-body POST routes receive a body anyway; it must be ignored or refused, never a 500.
        byte[]? body = _random.Next(6) == 0 ? Utf8(Pick(MalformedJson)) : null;
        var authorization = Authorization(route, out var authDescription);
        return new FuzzCase(route, description + (body is null ? "" : " with stray body") + authDescription, path, body, body is null ? null : Pick(ContentTypes), authorization);
    }

    private string Valid(FuzzField field) => field.ValidJson.Replace("{new}", NewId().ToString(), StringComparison.Ordinal);

    private string ReplaceOne(List<(string Name, string Value)> fields, Func<FieldKind?, string> value, string what)
    {
        var index = _random.Next(fields.Count);
        var name = fields[index].Name;
        var kind = Enum.TryParse<FieldKind>(KindOf(name), out var parsed) ? parsed : (FieldKind?)null;
        var replacement = value(kind);
        fields[index] = (name, replacement);
        return $"{what} {name}={Shorten(replacement)}";
    }

    private string KindValue(FieldKind? kind) => kind switch
    {
        FieldKind.Id => Pick(Ids),
        FieldKind.Integer => Pick(Numbers),
        FieldKind.Timestamp => Pick(Timestamps),
        FieldKind.Email => Pick(Emails),
        FieldKind.Url => Pick(["\"javascript:alert(1)\"", "\"http://\"", "\"ftp://x\"", "\"//evil.example\"", "\"https://exa mple.com\"", "\"https://\\u0000\"", "\"\\ud800\""]),
        FieldKind.Choice => Pick(["\"\"", "\"ON-PREMISE\"", "\"on-premise \"", "\"year\"", "\"week\"", "\"x\"", "\"__proto__\"", "\"\\u0000\"", "\"active_users\\u0000\""]),
        _ => Pick(Strings),
    };

    // The kinds are looked up by name across every route: a field name means the same thing everywhere.
    private string KindOf(string name) => targets.FieldKinds.TryGetValue(name, out var kind) ? kind.ToString() : "";

    private string HugeString() => "\"" + new string((char)('a' + _random.Next(26)), Pick([65, 201, 2_001, 10_000, 60_000, 70_000])) + "\"";

    private (string, byte[]) SizeCase(List<(string Name, string Value)> fields)
    {
        switch (_random.Next(5))
        {
            case 0:
                return ("empty body", []);
            case 1:
                return ("whitespace body", Utf8("   \n"));
            case 2:
                // One byte over the limit, as valid JSON: refused on size alone.
                var padding = maxBodyBytes - Object(fields).Length + 32;
                fields.Add(("padding", "\"" + new string('p', Math.Max(1, padding)) + "\""));
                return ("oversized body", Utf8(Object(fields)));
            case 3:
                return ("deep nesting", Utf8(new string('[', 5_000) + new string(']', 5_000)));
            default:
                var many = string.Join(",", Enumerable.Range(0, 3_000).Select(i => $"\"k{i}\":{i}"));
                return ("many properties", Utf8("{" + many + "}"));
        }
    }

    private (string, byte[]) InvalidUtf8Case(List<(string Name, string Value)> fields)
    {
        byte[][] sequences = [[0xff], [0xc3, 0x28], [0xe2, 0x28, 0xa1], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0x80], [0x00]];
        var bad = sequences[_random.Next(sequences.Length)];
        string name;
        if (_random.Next(3) == 0)
        {
            name = "a property name";
            fields.Add(("@@BAD@@", "1"));
        }
        else
        {
            var index = _random.Next(fields.Count);
            name = fields[index].Name;
            fields[index] = (name, "\"@@BAD@@\"");
        }

        var text = Object(fields);
        var marker = text.IndexOf("@@BAD@@", StringComparison.Ordinal);
        var bytes = Utf8(text[..marker]).Concat(bad).Concat(Utf8(text[(marker + 7)..])).ToArray();
        return ($"invalid UTF-8 {Convert.ToHexString(bad)} in {name}", bytes);
    }

    private string PathIdFor(FuzzRoute route, bool hostile)
    {
        if (hostile || !route.HasPathId)
        {
            return _random.Next(5) == 0 ? new string('a', 3_000) : Pick(PathIds);
        }

        // Destructive admin routes never name a real organization; the others mostly name the fuzzed one.
        return route.PathTargetsRealOrganization && _random.Next(4) != 0
            ? (_random.Next(5) == 0 ? targets.OtherOrganizationId : targets.OrganizationId).ToString()
            : NewId().ToString();
    }

    private string? Authorization(FuzzRoute route, out string description)
    {
        description = "";
        if (route.Caller != FuzzCaller.Instance || _random.Next(10) != 0)
        {
            return route.Caller == FuzzCaller.Instance ? "Bearer " + targets.Token : null;
        }

        var value = Pick([null, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer wrong-token", "Bearer " + new string('t', 600), "bearer " + targets.Token + "x", "Bearer \u00ff\u00fe", "Bearer " + targets.Token + " " + targets.Token]);
        description = " auth " + Shorten(value ?? "(none)");
        return value;
    }

    private Guid NewId()
    {
        var bytes = new byte[16];
        _random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0f) | 0x40);
        return new Guid(bytes);
    }

    private T Pick<T>(IReadOnlyList<T> values) => values[_random.Next(values.Count)];

    private static string Object(IEnumerable<(string Name, string Value)> fields) =>
        "{" + string.Join(",", fields.Select(f => $"\"{f.Name}\":{f.Value}")) + "}";

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string Shorten(string text) => text.Length > 48 ? text[..48] + $"…({text.Length})" : text;
}

/// <summary>What the cases aim at: the fuzzed organization, its token, another organization, and the field kinds.</summary>
internal sealed record FuzzTargets(Guid OrganizationId, string Token, Guid OtherOrganizationId, IReadOnlyDictionary<string, FieldKind> FieldKinds);
