using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace VaultAI.Billing.Client.Tests;

/// <summary>
/// A contract test host: a small in-memory billing host on Kestrel (127.0.0.1, port 0) that implements the
/// instance-facing wire contract (register with per-organization tokens, usage reports idempotent by
/// Idempotency-Key, status) and injects faults on demand. It stands in for the real host being written in parallel.
/// </summary>
internal sealed class ContractBillingHost : IAsyncDisposable
{
    public const string Register = "register";
    public const string Usage = "usage";
    public const string Status = "status";
    public const string UsageEvents = "usage-events";
    public const string UsageRead = "usage-read";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<Guid, Organization> _organizations = new();
    private readonly ConcurrentDictionary<(Guid, string), Report> _reports = new();
    private readonly ConcurrentDictionary<string, int> _attempts = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Fault>> _faults = new();
    private readonly Lock _lock = new();
    private readonly List<Report> _accepted = [];
    private readonly ConcurrentDictionary<(Guid, string), StoredEvent> _events = new();
    private readonly HashSet<(Guid, string)> _seen = [];
    private int _dropAfterStoring;

    private ContractBillingHost(WebApplication app)
    {
        _app = app;
    }

    /// <summary>Gets or sets a fault applied to every request while set (the host is "down").</summary>
    public Fault? Outage { get; set; }

    /// <summary>Gets or sets the enrollment key the host requires at registration, if any.</summary>
    public string? RequiredEnrollmentKey { get; set; }

    public Uri BaseAddress { get; private set; } = null!;

    public int DuplicateAnswers { get; private set; }

    public JsonObject? LastUsageBody { get; private set; }

    public IReadOnlyDictionary<string, string> LastUsageHeaders { get; private set; } = new Dictionary<string, string>();

    public IReadOnlyList<Report> AcceptedReports
    {
        get
        {
            lock (_lock)
            {
                return [.. _accepted];
            }
        }
    }

    public int OrganizationCount => _organizations.Count;

    /// <summary>Gets or sets the metric keys of the host's catalog; an event naming another answers 400 <c>unknown_metric</c>.</summary>
    public HashSet<string> KnownMetrics { get; } = new(StringComparer.Ordinal) { "active_users", "call_minutes", "storage_gb" };

    /// <summary>Gets every usage event the host stored, once per id.</summary>
    public IReadOnlyList<StoredEvent> StoredEvents => [.. _events.Values.OrderBy(e => e.Sequence)];

    /// <summary>Gets how many usage events were answered "duplicate".</summary>
    public int DuplicateEventAnswers { get; private set; }

    /// <summary>Gets the number of events in each <c>POST /api/usage-events</c> body that reached the handler, in order.</summary>
    public ConcurrentQueue<int> UsageEventBatchSizes { get; } = new();

    /// <summary>Gets or sets the plan's hard limit per metric, sent back by the usage route.</summary>
    public Dictionary<string, decimal> Limits { get; } = new(StringComparer.Ordinal);

    /// <summary>The next <paramref name="count"/> usage event batches are stored, then the connection is dropped before the answer.</summary>
    public void DropAfterStoring(int count) => Interlocked.Exchange(ref _dropAfterStoring, count);

    public static async Task<ContractBillingHost> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var host = new ContractBillingHost(app);
        app.Use(host.FaultMiddleware);
        app.MapPost("/api/organizations/register", (Func<HttpContext, Task<IResult>>)host.RegisterAsync);
        app.MapPost("/api/usage-report", (Func<HttpContext, Task<IResult>>)host.UsageAsync);
        app.MapGet("/api/organizations/{id:guid}/status", (Func<HttpContext, Guid, IResult>)host.StatusAsync);
        app.MapPost("/api/usage-events", (Func<HttpContext, Task<IResult>>)host.UsageEventsAsync);
        app.MapGet("/api/organizations/{id:guid}/usage", (Func<HttpContext, Guid, IResult>)host.UsageReadAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        host.BaseAddress = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal) + "/");
        return host;
    }

    public int Attempts(string route) => _attempts.GetValueOrDefault(route);

    /// <summary>Queues one-shot faults for the next requests on a route, in order.</summary>
    public void Enqueue(string route, params Fault[] faults)
    {
        var queue = _faults.GetOrAdd(route, _ => new ConcurrentQueue<Fault>());
        foreach (var fault in faults)
        {
            queue.Enqueue(fault);
        }
    }

    /// <summary>Admin action: revokes the organization's token and issues a new one (returned in clear once).</summary>
    public string RotateToken(Guid organizationId)
    {
        var token = NewToken();
        _organizations[organizationId].TokenHash = Hash(token);
        return token;
    }

    public void SetSubscriptionStatus(Guid organizationId, string status) => _organizations[organizationId].Status = status;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static string RouteOf(PathString path) =>
        path.StartsWithSegments("/api/organizations/register") ? Register
        : path.StartsWithSegments("/api/usage-report") ? Usage
        : path.StartsWithSegments("/api/usage-events") ? UsageEvents
        : path.Value?.EndsWith("/usage", StringComparison.Ordinal) == true ? UsageRead
        : Status;

    private async Task FaultMiddleware(HttpContext context, Func<Task> next)
    {
        var route = RouteOf(context.Request.Path);
        _attempts.AddOrUpdate(route, 1, (_, n) => n + 1);
        var fault = Outage;
        if (fault is null && _faults.TryGetValue(route, out var queue) && queue.TryDequeue(out var queued))
        {
            fault = queued;
        }

        if (fault is null)
        {
            await next();
            return;
        }

        switch (fault.Kind)
        {
            case FaultKind.Abort:
                context.Abort();
                return;
            case FaultKind.Delay:
                try
                {
                    await Task.Delay(fault.Delay, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                await next();
                return;
            case FaultKind.Status:
                // Read the body first: answering before it is consumed may make Kestrel close the
                // keep-alive connection, which would add a connection-reset retry the test did not inject.
                await context.Request.Body.CopyToAsync(Stream.Null);
                if (fault.RetryAfter is { } retryAfter)
                {
                    context.Response.Headers.RetryAfter = retryAfter;
                }

                await WriteProblemAsync(context, fault.StatusCode, fault.Code ?? "injected_fault", "Injected fault", fault.Field);
                return;
        }
    }

    private async Task<IResult> RegisterAsync(HttpContext context)
    {
        if (RequiredEnrollmentKey is { } required)
        {
            var sent = context.Request.Headers["X-Enrollment-Key"].ToString();
            if (sent.Length == 0 || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent), Encoding.UTF8.GetBytes(required)))
            {
                return Problem(sent.Length == 0 ? 401 : 403, "enrollment_key_invalid", "The enrollment key is missing or invalid.");
            }
        }

        var body = await ReadBodyAsync(context);
        if (body?["organization_id"]?.GetValue<string>() is not { } idText || !Guid.TryParse(idText, out var id) || id == Guid.Empty)
        {
            return Problem(400, "validation_failed", "organization_id must be a UUID.", "organization_id");
        }

        var name = body["organization_name"]?.GetValue<string>();
        var url = body["instance_url"]?.GetValue<string>();
        if (string.IsNullOrWhiteSpace(name))
        {
            return Problem(400, "validation_failed", "organization_name is required.", "organization_name");
        }

        if (string.IsNullOrWhiteSpace(url))
        {
            return Problem(400, "validation_failed", "instance_url is required.", "instance_url");
        }

        if (_organizations.TryGetValue(id, out var existing))
        {
            if (BearerHash(context) is { } hash && CryptographicOperations.FixedTimeEquals(hash, existing.TokenHash))
            {
                return Results.Json(RegistrationBody(existing, null, alreadyRegistered: true), Json, statusCode: 200);
            }

            return Problem(409, "organization_exists", "This organization is already registered; an administrator must reset its token.");
        }

        var token = NewToken();
        var organization = new Organization(id, name, url) { TokenHash = Hash(token) };
        if (!_organizations.TryAdd(id, organization))
        {
            return Problem(409, "organization_exists", "This organization is already registered; an administrator must reset its token.");
        }

        return Results.Json(RegistrationBody(organization, token, alreadyRegistered: false), Json, statusCode: 201);
    }

    private async Task<IResult> UsageAsync(HttpContext context)
    {
        var organization = Authenticate(context);
        if (organization is null)
        {
            return Problem(401, "invalid_token", "The bearer token is missing or invalid.");
        }

        var body = await ReadBodyAsync(context);
        LastUsageBody = body;
        LastUsageHeaders = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        if (body?["organization_id"]?.GetValue<string>() is not { } idText || !Guid.TryParse(idText, out var id))
        {
            return Problem(400, "validation_failed", "organization_id must be a UUID.", "organization_id");
        }

        if (id != organization.Id)
        {
            return Problem(403, "forbidden_organization", "This token belongs to another organization.");
        }

        if (body["user_count"] is not JsonValue countValue || !countValue.TryGetValue<long>(out var count) || count < 0)
        {
            return Problem(400, "validation_failed", "user_count must be a non-negative integer.", "user_count");
        }

        if (body["timestamp"]?.GetValue<string>() is not { } timestampText || !DateTimeOffset.TryParse(timestampText, System.Globalization.CultureInfo.InvariantCulture, out var timestamp))
        {
            return Problem(400, "validation_failed", "timestamp must be an ISO 8601 date and time.", "timestamp");
        }

        var key = context.Request.Headers["Idempotency-Key"].ToString();
        if (key.Length == 0)
        {
            key = $"derived:{count}:{timestampText}";
        }

        var candidate = new Report(Guid.NewGuid(), organization.Id, key, count, timestamp);
        var stored = _reports.GetOrAdd((organization.Id, key), candidate);
        var duplicate = !ReferenceEquals(stored, candidate);
        lock (_lock)
        {
            if (duplicate)
            {
                DuplicateAnswers++;
            }
            else
            {
                _accepted.Add(stored);
            }
        }

        return Results.Json(
            new { success = true, message = "Usage report received", report_id = stored.ReportId, organization_status = organization.Status, duplicate },
            Json);
    }

    private IResult StatusAsync(HttpContext context, Guid id)
    {
        var organization = Authenticate(context);
        if (organization is null)
        {
            return Problem(401, "invalid_token", "The bearer token is missing or invalid.");
        }

        if (organization.Id != id)
        {
            return Problem(403, "forbidden_organization", "This token belongs to another organization.");
        }

        var linked = organization.Status != "pending";
        return Results.Json(
            new
            {
                organization_id = organization.Id,
                organization_name = organization.Name,
                subscription_status = organization.Status,
                trial_active = organization.Status == "trial",
                trial_end = (DateTimeOffset?)null,
                plan_type = linked ? "self-hosted" : null,
                deployment_type = linked ? "on-premise" : null,
                stripe_subscription = linked
                    ? new { status = organization.Status, current_period_start = "2026-11-01T00:00:00Z", current_period_end = "2026-12-01T00:00:00Z" }
                    : null,
                entitlements = new { max_users = 100 },
            },
            Json);
    }

    /// <summary>
    /// The server's <c>POST /api/usage-events</c> wire shape: every event checked before anything is stored; the first
    /// bad one answers 400 naming <c>events[i].field</c>; an id seen before is answered "duplicate" and not stored again.
    /// </summary>
    private async Task<IResult> UsageEventsAsync(HttpContext context)
    {
        var organization = Authenticate(context);
        if (organization is null)
        {
            return Problem(401, "invalid_token", "The bearer token is missing or invalid.");
        }

        using var document = await JsonDocument.ParseAsync(context.Request.Body);
        if (!document.RootElement.TryGetProperty("events", out var array) || array.ValueKind != JsonValueKind.Array)
        {
            return Problem(400, "missing_field", "'events' is required: an array of usage events.", "events");
        }

        var count = array.GetArrayLength();
        if (count == 0 || count > 1000)
        {
            return Problem(400, count == 0 ? "empty_batch" : "too_many_events", "'events' must hold 1 to 1000 events.", "events");
        }

        UsageEventBatchSizes.Enqueue(count);
        var parsed = new List<StoredEvent>(count);
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            var prefix = $"events[{index}]";
            if (!element.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || id.GetString() is not { Length: > 0 and <= 255 } idText)
            {
                return Problem(400, "missing_field", $"'{prefix}.id' is required.", prefix + ".id");
            }

            if (!element.TryGetProperty("metric", out var metric) || metric.ValueKind != JsonValueKind.String || metric.GetString() is not { Length: > 0 } metricText)
            {
                return Problem(400, "missing_field", $"'{prefix}.metric' is required.", prefix + ".metric");
            }

            if (!KnownMetrics.Contains(metricText))
            {
                return Problem(400, "unknown_metric", $"'{prefix}.metric' names an unknown metric.", prefix + ".metric");
            }

            if (!element.TryGetProperty("quantity", out var quantity) || quantity.ValueKind != JsonValueKind.Number || !quantity.TryGetDecimal(out var amount))
            {
                return Problem(400, "wrong_type", $"'{prefix}.quantity' must be a JSON number.", prefix + ".quantity");
            }

            if (amount < 0)
            {
                return Problem(400, "negative_quantity", $"'{prefix}.quantity' must be 0 or more.", prefix + ".quantity");
            }

            if (!element.TryGetProperty("timestamp", out var timestamp) || timestamp.ValueKind != JsonValueKind.String
                || timestamp.GetString() is not { } timestampText || !(timestampText.EndsWith('Z') || timestampText.Contains('+', StringComparison.Ordinal))
                || !DateTimeOffset.TryParse(timestampText, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var at))
            {
                return Problem(400, "invalid_timestamp", $"'{prefix}.timestamp' must be an ISO 8601 date and time with an offset.", prefix + ".timestamp");
            }

            parsed.Add(new StoredEvent(organization.Id, idText, metricText, amount, at.ToUniversalTime(), quantity.GetRawText(), 0));
            index++;
        }

        var statuses = new List<object>(parsed.Count);
        int accepted = 0, duplicates = 0;
        lock (_lock)
        {
            foreach (var candidate in parsed)
            {
                var key = (organization.Id, candidate.Id);
                var duplicate = !_seen.Add(key);
                if (!duplicate)
                {
                    _events[key] = candidate with { Sequence = _events.Count + 1 };
                }

                if (duplicate)
                {
                    duplicates++;
                    DuplicateEventAnswers++;
                }
                else
                {
                    accepted++;
                }

                statuses.Add(new { id = candidate.Id, status = duplicate ? "duplicate" : "accepted" });
            }
        }

        if (Interlocked.Decrement(ref _dropAfterStoring) >= 0)
        {
            // Stored, then the connection dies before the answer: the client cannot know the events arrived.
            context.Abort();
            return Results.Empty;
        }

        return Results.Json(new { accepted, duplicates, events = statuses }, Json);
    }

    /// <summary>The server's <c>GET /api/organizations/{id}/usage</c> wire shape: the sum of the stored events per known metric.</summary>
    private IResult UsageReadAsync(HttpContext context, Guid id)
    {
        var organization = Authenticate(context);
        if (organization is null)
        {
            return Problem(401, "invalid_token", "The bearer token is missing or invalid.");
        }

        if (organization.Id != id)
        {
            return Problem(403, "forbidden_organization", "This token belongs to another organization.");
        }

        var events = StoredEvents.Where(e => e.OrganizationId == id).ToList();
        var usage = KnownMetrics.Order(StringComparer.Ordinal).Select(metric =>
        {
            var current = events.Where(e => e.Metric == metric).Sum(e => e.Quantity);
            decimal? limit = Limits.TryGetValue(metric, out var max) ? max : null;
            decimal? percentage = limit is > 0 ? decimal.Round(current * 100m / limit.Value, 2) : null;
            return new Dictionary<string, object?>
            {
                ["metric"] = metric,
                ["unit"] = metric == "call_minutes" ? "minutes" : metric == "storage_gb" ? "GB" : "users",
                ["current"] = current,
                ["included"] = null,
                ["limit"] = limit,
                ["percentage"] = percentage,
                ["unlimited"] = limit is null,
            };
        }).ToList();
        return Results.Json(
            new Dictionary<string, object?>
            {
                ["organization_id"] = id,
                ["period"] = new { start = "2026-11-01T00:00:00+00:00", end = "2026-12-01T00:00:00+00:00" },
                ["plan"] = Limits.Count > 0 ? "starter" : null,
                ["usage"] = usage,
            },
            Json);
    }

    private Organization? Authenticate(HttpContext context) =>
        BearerHash(context) is { } hash
            ? _organizations.Values.FirstOrDefault(o => CryptographicOperations.FixedTimeEquals(o.TokenHash, hash))
            : null;

    private static byte[]? BearerHash(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) ? Hash(header["Bearer ".Length..]) : null;
    }

    private static object RegistrationBody(Organization organization, string? token, bool alreadyRegistered) => new
    {
        success = true,
        organization_id = organization.Id,
        billing_token = token,
        organization_status = organization.Status,
        stripe_customer_id = (string?)null,
        stripe_subscription_id = (string?)null,
        trial_end = (string?)null,
        already_registered = alreadyRegistered,
    };

    private static async Task<JsonObject?> ReadBodyAsync(HttpContext context)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static IResult Problem(int status, string code, string detail, string? field = null) =>
        Results.Json(ProblemBody(status, code, detail, field), Json, "application/problem+json", status);

    private static Task WriteProblemAsync(HttpContext context, int status, string code, string detail, string? field)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(ProblemBody(status, code, detail, field), Json));
    }

    private static Dictionary<string, object?> ProblemBody(int status, string code, string detail, string? field)
    {
        var body = new Dictionary<string, object?>
        {
            ["type"] = "https://vaultai.dev/problems/" + code,
            ["title"] = code.Replace('_', ' '),
            ["status"] = status,
            ["detail"] = detail,
            ["code"] = code,
            ["trace_id"] = Guid.NewGuid().ToString("N"),
        };
        if (field is not null)
        {
            body["field"] = field;
            body["errors"] = new Dictionary<string, string[]> { [field] = [detail] };
        }

        return body;
    }

    private static string NewToken() => "vaultai_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public sealed record StoredEvent(Guid OrganizationId, string Id, string Metric, decimal Quantity, DateTimeOffset Timestamp, string RawQuantity, int Sequence);

    public sealed record Report(Guid ReportId, Guid OrganizationId, string IdempotencyKey, long UserCount, DateTimeOffset Timestamp);

    private sealed class Organization(Guid id, string name, string instanceUrl)
    {
        public Guid Id { get; } = id;

        public string Name { get; } = name;

        public string InstanceUrl { get; } = instanceUrl;

        public byte[] TokenHash { get; set; } = [];

        public string Status { get; set; } = "pending";
    }
}

internal enum FaultKind
{
    Status,
    Delay,
    Abort,
}

/// <summary>A fault the contract test host injects instead of (or before) answering.</summary>
internal sealed record Fault(FaultKind Kind, int StatusCode = 0, TimeSpan Delay = default, string? RetryAfter = null, string? Code = null, string? Field = null)
{
    public static Fault Http(int statusCode) => new(FaultKind.Status, statusCode);

    public static Fault TooManyRequests(string retryAfter) => new(FaultKind.Status, 429, RetryAfter: retryAfter, Code: "rate_limited");

    public static Fault BadRequest(string field) => new(FaultKind.Status, 400, Code: "validation_failed", Field: field);

    public static Fault Slow(TimeSpan delay) => new(FaultKind.Delay, Delay: delay);

    public static Fault DropConnection() => new(FaultKind.Abort);
}
