using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using VaultAI.Billing.Testing.Faults.Internal;
using VaultAI.Billing.Testing.Observation.Internal;
using VaultAI.Billing.Testing.State.Internal;

namespace VaultAI.Billing.Testing.Api.Internal;

/// <summary>The HTTP pipeline: request id, faults, pages, authentication, version check, idempotency, routing, log.</summary>
internal sealed partial class HttpFront
{
    private readonly Engine _engine;
    private readonly FaultRegistry _faults;
    private readonly RequestLog _log;
    private readonly string _apiKey;
    private readonly Pages _pages;

    public HttpFront(Engine engine, FaultRegistry faults, RequestLog log, string apiKey)
    {
        _engine = engine;
        _faults = faults;
        _log = log;
        _apiKey = apiKey;
        _pages = new Pages(engine);
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var requestId = Ids.New("req_", 14);
        context.Response.Headers["Request-Id"] = requestId;
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }

        var method = request.Method.ToUpperInvariant();
        var path = request.Path.Value ?? "/";
        var query = request.QueryString.HasValue ? request.QueryString.Value!.TrimStart('?') : string.Empty;
        var isV2 = path.StartsWith("/v2/", StringComparison.Ordinal);
        var form = FormNode.Parse(method is "GET" or "DELETE" ? query : isV2 ? null : body);
        var idempotencyKey = request.Headers.TryGetValue("Idempotency-Key", out var key) ? key.ToString() : null;
        var status = 0;
        var faulted = false;
        try
        {
            // Faults come first so a faulted request never has an effect.
            if (_faults.TryTake(path) is { } fault)
            {
                faulted = true;
                switch (fault.Kind)
                {
                    case StripeFaultKind.DropConnection:
                        context.Abort();
                        return;
                    case StripeFaultKind.Delay:
                        await Task.Delay(fault.DelayDuration, context.RequestAborted).ConfigureAwait(false);
                        break;
                    default:
                        status = fault.StatusCode;
                        if (fault.ShouldRetry is { } retry)
                        {
                            context.Response.Headers["Stripe-Should-Retry"] = retry ? "true" : "false";
                        }

                        if (fault.RetryAfterSeconds is { } after)
                        {
                            context.Response.Headers["Retry-After"] = after.ToString(System.Globalization.CultureInfo.InvariantCulture);
                        }

                        await WriteErrorAsync(context, FaultError(fault)).ConfigureAwait(false);
                        return;
                }
            }

            status = await DispatchAsync(context, method, path, form, body, requestId, idempotencyKey).ConfigureAwait(false);
        }
        finally
        {
            _log.Add(new RecordedRequest(
                method,
                path,
                query,
                Flatten(isV2 && method == "POST" ? FormNode.Parse(null) : form),
                request.Headers
                    .Where(h => !string.Equals(h.Key, "Authorization", StringComparison.OrdinalIgnoreCase))
                    .ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                idempotencyKey,
                status,
                requestId,
                body,
                faulted));
        }
    }

    private async Task<int> DispatchAsync(HttpContext context, string method, string path, FormNode form, string body, string requestId, string? idempotencyKey)
    {
        if (path.StartsWith("/checkout/", StringComparison.Ordinal) || path.StartsWith("/portal/", StringComparison.Ordinal) || path == "/")
        {
            return await _pages.HandleAsync(context, method, path, form, body).ConfigureAwait(false);
        }

        if (path == "/v2/billing/meter_event_stream")
        {
            if (method != "POST")
            {
                return await WriteErrorAsync(context, UnknownRoute(method, path)).ConfigureAwait(false);
            }

            ApiResponse streamed;
            try
            {
                lock (_engine.Gate)
                {
                    if (_engine.CheckStreamToken(Bearer(context.Request)) is { } tokenError)
                    {
                        throw tokenError;
                    }

                    streamed = _engine.StreamMeterEvents(body);
                }
            }
            catch (StripeApiException ex)
            {
                return await WriteErrorAsync(context, ex).ConfigureAwait(false);
            }

            return await WriteJsonAsync(context, streamed.Status, Engine.Serialize(streamed.Body)).ConfigureAwait(false);
        }

        if (CheckApiKey(context.Request) is { } authError)
        {
            return await WriteErrorAsync(context, authError).ConfigureAwait(false);
        }

        if (context.Request.Headers.TryGetValue("Stripe-Version", out var version) && !VersionPattern().IsMatch(version.ToString()))
        {
            return await WriteErrorAsync(context, StripeApiException.Invalid($"Invalid Stripe API version: {version}", null, "api_version_invalid")).ConfigureAwait(false);
        }

        int status;
        string responseBody;
        var replayed = false;
        lock (_engine.Gate)
        {
            var useIdempotency = method == "POST" && !string.IsNullOrEmpty(idempotencyKey);
            var storeKey = $"{_apiKey}|{method} {path}|{idempotencyKey}";
            var fingerprint = Fingerprint(form, path.StartsWith("/v2/", StringComparison.Ordinal) ? body : null);
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
                    var response = _engine.Handle(new ApiRequest(method, path, form, body));
                    (status, responseBody) = (response.Status, Engine.Serialize(response.Body));
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

        if (replayed)
        {
            context.Response.Headers["Idempotent-Replayed"] = "true";
        }

        if (method == "POST" && !string.IsNullOrEmpty(idempotencyKey))
        {
            context.Response.Headers["Idempotency-Key"] = idempotencyKey;
        }

        return await WriteJsonAsync(context, status, responseBody).ConfigureAwait(false);
    }

    private StripeApiException? CheckApiKey(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
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

    private static string? Bearer(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
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

    private static Dictionary<string, string> Flatten(FormNode form)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in form.Pairs)
        {
            result[key] = value;
        }

        return result;
    }

    private static StripeApiException UnknownRoute(string method, string path) =>
        new(404, "invalid_request_error", $"Unrecognized request URL ({method}: {path}).");

    private static StripeApiException FaultError(StripeFault fault)
    {
        var (type, code, message) = fault.StatusCode switch
        {
            429 => ("invalid_request_error", "rate_limit", "Too many requests hit the API too quickly. (injected by the emulator)"),
            409 => ("invalid_request_error", "lock_timeout", "This object cannot be accessed right now because another API request or Stripe process is currently accessing it. (injected by the emulator)"),
            >= 500 => ("api_error", (string?)null, "An unknown error occurred. (injected by the emulator)"),
            _ => ("invalid_request_error", null, "Injected error."),
        };
        return new StripeApiException(fault.StatusCode, fault.ErrorType ?? type, message, null, code);
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

    private static async Task<int> WriteErrorAsync(HttpContext context, StripeApiException ex)
    {
        var (status, body) = ErrorBody(ex);
        return await WriteJsonAsync(context, status, body).ConfigureAwait(false);
    }

    private static async Task<int> WriteJsonAsync(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        return status;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(\.[a-z_]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
