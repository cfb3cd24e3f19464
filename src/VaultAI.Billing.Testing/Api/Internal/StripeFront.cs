using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using VaultAI.Billing.Testing.State.Internal;

namespace VaultAI.Billing.Testing.Api.Internal;

/// <summary>One request as the engine sees it, whoever serves HTTP (today WireMock.Net).</summary>
internal sealed record FrontRequest(string Method, string Path, string Query, string Body, IReadOnlyDictionary<string, string> Headers)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>One answer of the engine: status, content type, body and extra headers.</summary>
internal sealed record FrontResponse(int Status, string ContentType, string Body)
{
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// Stripe's request pipeline in front of the engine: pages, authentication, version check, idempotency,
/// routing and Stripe-shaped errors. HTTP itself (listening, faults, delays, the request log) is WireMock's.
/// </summary>
internal sealed partial class StripeFront
{
    private readonly Engine _engine;
    private readonly string _apiKey;
    private readonly Pages _pages;
    private readonly StripeRateLimit? _meterEventLimit;
    private readonly StripeRateLimit? _streamLimit;

    public StripeFront(Engine engine, string apiKey, StripeEmulatorOptions? options = null)
    {
        _engine = engine;
        _apiKey = apiKey;
        _pages = new Pages(engine);
        _meterEventLimit = options?.MeterEventsPerSecond is { } v1 ? new StripeRateLimit(v1) : null;
        _streamLimit = options?.MeterEventStreamRequestsPerSecond is { } v2 ? new StripeRateLimit(v2) : null;
    }

    /// <summary>Called after a test clock advance was accepted, outside the engine lock.</summary>
    public Action<string>? TestClockAdvanceRequested { get; set; }

    public FrontResponse Handle(FrontRequest request)
    {
        var requestId = Ids.New("req_", 14);
        var response = Dispatch(request, requestId);
        response.Headers["Request-Id"] = requestId;
        return response;
    }

    private FrontResponse Dispatch(FrontRequest request, string requestId)
    {
        var method = request.Method.ToUpperInvariant();
        var path = request.Path;
        var isV2 = path.StartsWith("/v2/", StringComparison.Ordinal);
        var form = FormNode.Parse(method is "GET" or "DELETE" ? request.Query : isV2 ? null : request.Body);
        var idempotencyKey = request.Header("Idempotency-Key");

        if (path.StartsWith("/checkout/", StringComparison.Ordinal) || path.StartsWith("/portal/", StringComparison.Ordinal) ||
            path.StartsWith("/invoice/", StringComparison.Ordinal) || path == "/")
        {
            return _pages.Handle(method, path, form);
        }

        if (path == "/v2/billing/meter_event_stream")
        {
            if (method != "POST")
            {
                return Error(UnknownRoute(method, path));
            }

            if (_streamLimit is { } streamLimit && !streamLimit.TryTake())
            {
                return RateLimited();
            }

            try
            {
                lock (_engine.Gate)
                {
                    if (_engine.CheckStreamToken(Bearer(request)) is { } tokenError)
                    {
                        return Error(tokenError);
                    }

                    var streamed = _engine.StreamMeterEvents(request.Body);
                    return Json(streamed.Status, Engine.Serialize(streamed.Body));
                }
            }
            catch (StripeApiException ex)
            {
                return Error(ex);
            }
        }

        if (CheckApiKey(request) is { } authError)
        {
            return Error(authError);
        }

        if (request.Header("Stripe-Version") is { } version && !VersionPattern().IsMatch(version))
        {
            return Error(StripeApiException.Invalid($"Invalid Stripe API version: {version}", null, "api_version_invalid"));
        }

        if (_meterEventLimit is { } limit && method == "POST" && path == "/v1/billing/meter_events" && !limit.TryTake())
        {
            return RateLimited();
        }

        int status;
        string responseBody;
        var replayed = false;
        string? advancedClock = null;
        lock (_engine.Gate)
        {
            var useIdempotency = method == "POST" && !string.IsNullOrEmpty(idempotencyKey);
            var storeKey = $"{_apiKey}|{method} {path}|{idempotencyKey}";
            var fingerprint = Fingerprint(form, isV2 ? request.Body : null);
            if (useIdempotency && _engine.IdempotentResults.TryGetValue(storeKey, out var stored))
            {
                if (stored.Fingerprint != fingerprint)
                {
                    (status, responseBody) = ErrorBody(new StripeApiException(
                        400,
                        "idempotency_error",
                        $"Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{idempotencyKey}' if you meant to execute a different request."));
                }
                else
                {
                    (status, responseBody) = (stored.Status, stored.Body);
                    replayed = true;
                }
            }
            else
            {
                var save = useIdempotency;
                _engine.CurrentRequest = (requestId, idempotencyKey);
                try
                {
                    var response = _engine.Handle(new ApiRequest(method, path, form, request.Body));
                    (status, responseBody) = (response.Status, Engine.Serialize(response.Body));
                    advancedClock = _engine.TakeRequestedAdvance();
                }
                catch (StripeApiException ex)
                {
                    (status, responseBody) = ErrorBody(ex);
                    save &= !ex.BeforeExecution;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    (status, responseBody) = ErrorBody(new StripeApiException(500, "api_error", "The emulator failed to handle this request: " + ex.Message));
                    save = false;
                }
                finally
                {
                    _engine.CurrentRequest = null;
                }

                if (save)
                {
                    _engine.IdempotentResults[storeKey] = new IdempotentResult(fingerprint, status, responseBody);
                }
            }
        }

        if (advancedClock is not null)
        {
            TestClockAdvanceRequested?.Invoke(advancedClock);
        }

        var answer = Json(status, responseBody);
        if (replayed)
        {
            answer.Headers["Idempotent-Replayed"] = "true";
        }

        if (method == "POST" && !string.IsNullOrEmpty(idempotencyKey))
        {
            answer.Headers["Idempotency-Key"] = idempotencyKey;
        }

        return answer;
    }

    private static FrontResponse RateLimited() =>
        Error(new StripeApiException(429, "invalid_request_error", "Request rate limit exceeded. (enforced by the emulator's meter event limit)", null, "rate_limit"));

    private StripeApiException? CheckApiKey(FrontRequest request)
    {
        var header = request.Header("Authorization") ?? string.Empty;
        string? presented = null;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = header["Bearer ".Length..].Trim();
        }
        else if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
                presented = decoded.Split(':')[0];
            }
            catch (FormatException)
            {
                presented = string.Empty;
            }
        }

        if (string.IsNullOrEmpty(presented))
        {
            return new StripeApiException(
                401,
                "invalid_request_error",
                "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').");
        }

        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(_apiKey)))
        {
            // Never echo the presented key, not even redacted.
            return new StripeApiException(401, "invalid_request_error", "Invalid API Key provided.", null, "api_key_invalid");
        }

        return null;
    }

    private static string? Bearer(FrontRequest request)
    {
        var header = request.Header("Authorization") ?? string.Empty;
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    private static string Fingerprint(FormNode form, string? jsonBody)
    {
        if (jsonBody is not null)
        {
            try
            {
                return JsonNode.Parse(jsonBody)?.ToJsonString() ?? string.Empty;
            }
            catch (System.Text.Json.JsonException)
            {
                return jsonBody;
            }
        }

        return string.Join('&', form.Pairs.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value));
    }

    private static StripeApiException UnknownRoute(string method, string path) =>
        new(404, "invalid_request_error", $"Unrecognized request URL ({method}: {path}).");

    /// <summary>The error an injected <see cref="StripeFault"/> answers with, in Stripe's shape.</summary>
    public static FrontResponse FaultResponse(StripeFault fault)
    {
        var (type, code, message) = fault.StatusCode switch
        {
            429 => ("invalid_request_error", "rate_limit", "Too many requests hit the API too quickly. (injected by the emulator)"),
            409 => ("invalid_request_error", "lock_timeout", "This object cannot be accessed right now because another API request or Stripe process is currently accessing it. (injected by the emulator)"),
            >= 500 => ("api_error", (string?)null, "An unknown error occurred. (injected by the emulator)"),
            _ => ("invalid_request_error", null, "Injected error."),
        };
        var response = Error(new StripeApiException(fault.StatusCode, fault.ErrorType ?? type, message, null, code));
        response.Headers["Request-Id"] = Ids.New("req_", 14);
        if (fault.ShouldRetry is { } retry)
        {
            response.Headers["Stripe-Should-Retry"] = retry ? "true" : "false";
        }

        if (fault.RetryAfterSeconds is { } after)
        {
            response.Headers["Retry-After"] = after.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return response;
    }

    public static (int Status, string Body) ErrorBody(StripeApiException ex)
    {
        var error = new JsonObject
        {
            ["type"] = ex.Type,
            ["code"] = ex.Code,
            ["message"] = ex.Message,
            ["param"] = ex.Param,
        };
        if (ex.Code is not null)
        {
            error["doc_url"] = $"https://stripe.com/docs/error-codes/{ex.Code.Replace('_', '-')}";
        }

        return (ex.Status, new JsonObject { ["error"] = error }.ToJsonString());
    }

    private static FrontResponse Error(StripeApiException ex)
    {
        var (status, body) = ErrorBody(ex);
        return Json(status, body);
    }

    private static FrontResponse Json(int status, string body) => new(status, "application/json", body);

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(\.[a-z_]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
