using System.Text;
using VaultAI.Billing.Testing.Api.Internal;
using WireMock;
using WireMock.Logging;
using WireMock.Types;
using WireMock.Util;

namespace VaultAI.Billing.Testing.Hosting.Internal;

/// <summary>Translates between WireMock's request, response and log types and the engine's.</summary>
internal static class WireMockBridge
{
    /// <summary>The status logged when the client went away during an injected delay (nginx's "client closed request").</summary>
    public const int ClientGaveUp = 499;

    public static FrontRequest ToFront(IRequestMessage request) =>
        new(request.Method.ToUpperInvariant(), request.Path, Query(request), Body(request), Headers(request, includeAuthorization: true));

    public static ResponseMessage ToWireMock(FrontResponse response)
    {
        var headers = new Dictionary<string, WireMockList<string>>(StringComparer.OrdinalIgnoreCase)
        {
            ["Content-Type"] = new WireMockList<string>(response.ContentType),
        };
        foreach (var (name, value) in response.Headers)
        {
            headers[name] = new WireMockList<string>(value);
        }

        return new ResponseMessage
        {
            StatusCode = response.Status,
            Headers = headers,

            // A string body, not WireMock's JSON body: that one is re-serialised with null values dropped.
            BodyData = new BodyData
            {
                BodyAsString = response.Body,
                DetectedBodyType = BodyType.String,
                Encoding = new UTF8Encoding(false),
            },
        };
    }

    /// <summary>Builds the emulator's view of one WireMock log entry.</summary>
    public static RecordedRequest ToRecorded(ILogEntry entry, Func<Guid?, StripeFault?> faultOf)
    {
        var request = entry.RequestMessage!;
        var method = request.Method.ToUpperInvariant();
        var path = request.Path;
        var query = Query(request);
        var body = Body(request);
        var isV2 = path.StartsWith("/v2/", StringComparison.Ordinal);
        var form = FormNode.Parse(method is "GET" or "DELETE" ? query : isV2 ? null : body);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in form.Pairs)
        {
            fields[name] = value;
        }

        var headers = Headers(request, includeAuthorization: false);
        var fault = faultOf(entry.MappingGuid);
        var response = entry.ResponseMessage;
        var status = StatusOf(response?.StatusCode);
        if (fault?.Kind == StripeFaultKind.DropConnection || (fault?.Kind == StripeFaultKind.Delay && status == ClientGaveUp))
        {
            // Nothing reached the client.
            status = 0;
        }

        var requestId = response?.Headers is { } responseHeaders && responseHeaders.TryGetValue("Request-Id", out var id) ? id.ToString() : string.Empty;
        return new RecordedRequest(
            method,
            path,
            query,
            fields,
            headers,
            headers.TryGetValue("Idempotency-Key", out var key) ? key : null,
            status,
            requestId ?? string.Empty,
            body,
            fault is not null);
    }

    private static int StatusOf(object? status) => status switch
    {
        int i => i,
        System.Net.HttpStatusCode code => (int)code,
        string s when int.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => 0,
    };

    private static string Query(IRequestMessage request) => (request.RawQuery ?? string.Empty).TrimStart('?');

    private static string Body(IRequestMessage request) =>
        request.Body ?? (request.BodyAsBytes is { Length: > 0 } bytes ? Encoding.UTF8.GetString(bytes) : string.Empty);

    private static Dictionary<string, string> Headers(IRequestMessage request, bool includeAuthorization)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (request.Headers is null)
        {
            return result;
        }

        foreach (var (name, values) in request.Headers)
        {
            if (!includeAuthorization && string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            result[name] = string.Join(",", values);
        }

        return result;
    }
}
