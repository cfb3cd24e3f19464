using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Diagnostics;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Webhooks;
using VaultAI.Billing.Webhooks.Internal;

namespace VaultAI.Billing.Endpoints.Internal;

internal sealed record WebhookAnswer(bool Received, string Outcome);

internal sealed record WebhookEventView(string Id, string Type, DateTimeOffset Created, string? ApiVersion, DateTimeOffset ReceivedAt, DateTimeOffset? ProcessedAt, string Status, int Attempts, string? LastError);

internal sealed record WebhookListResponse(IReadOnlyDictionary<string, int> Counts, IReadOnlyList<WebhookEventView> Items);

internal sealed record WebhookRetryAnswer(bool Success, string EventId, string Status);

/// <summary>The Stripe webhook route and the admin routes over the inbox.</summary>
internal static partial class WebhookEndpoints
{
    private const int MaxPayloadBytes = 1024 * 1024;

    public static void MapReceiver(RouteGroupBuilder api)
    {
        api.MapPost("/stripe/webhook", ReceiveAsync).WithName("StripeWebhook").WithRequestSchema<StripeEventRequestBody>().Produces<WebhookAnswer>().ProducesProblem(400).ProducesProblem(503).WithTags("Stripe").AddEndpointFilter(InstanceEndpoints.ProblemFilter);
    }

    public static void MapAdmin(RouteGroupBuilder admin)
    {
        admin.MapGet("/webhooks", ListAsync).WithName("AdminListWebhookEvents").Produces<WebhookListResponse>();
        admin.MapPost("/webhooks/{eventId}/retry", RetryAsync).WithName("AdminRetryWebhookEvent").Produces<WebhookRetryAnswer>();
        admin.MapPost("/webhooks/replay", ReplayAsync).WithName("AdminReplayWebhooks").Produces<VaultAI.Billing.Webhooks.Internal.WebhookReplayResult>();
    }

    private static async Task<IResult> ReceiveAsync(HttpContext context, WebhookProcessor processor, IOptionsMonitor<VaultAIBillingOptions> options, TimeProvider timeProvider, BillingDiagnostics diagnostics, ILogger<WebhookProcessor> logger, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue.Webhooks;
        if (settings.Secrets.Count == 0)
        {
            throw new BillingException(503, "webhooks_not_configured", "No webhook signing secret is configured (VaultAI:Billing:Webhooks:Secrets).");
        }

        if (context.Request.ContentLength > MaxPayloadBytes)
        {
            throw new BillingException(413, "body_too_large", "The webhook body is too large.", "body");
        }

        // Verify the raw bytes exactly as received: re-serialised JSON would not verify.
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (buffer.Length > MaxPayloadBytes)
        {
            throw new BillingException(413, "body_too_large", "The webhook body is too large.", "body");
        }

        var payload = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (payload.Length == 0)
        {
            throw BillingException.Invalid("body", "The webhook body is empty.", "invalid_event");
        }

        var json = Encoding.UTF8.GetString(payload.Span);
        try
        {
            // The clock is the injected TimeProvider, so a test on a fake clock verifies signatures made on it.
            StripeEvents.Verify(json, context.Request.Headers["Stripe-Signature"].FirstOrDefault(), settings.Secrets, settings.Tolerance, timeProvider.GetUtcNow());
        }
        catch (BillingException exception) when (exception.Code.StartsWith("signature_", StringComparison.Ordinal))
        {
            diagnostics.Webhook("rejected");
            LogRejected(logger, context.Connection.RemoteIpAddress?.ToString() ?? "unknown address", exception.Code);
            throw;
        }

        // A verified body with an event id is kept whatever it holds: applied, ignored, or parked (answered 2xx so Stripe
        // stops); a body with no usable id is a 400 invalid_event and stores nothing.
        var outcome = await processor.ReceiveAsync(json, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new WebhookAnswer(true, outcome.ToString().ToLowerInvariant()), WebhookJsonContext.Default.WebhookAnswer);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, BillingAdministration admin, CancellationToken cancellationToken)
    {
        var status = request.Query["status"].FirstOrDefault();
        if (status is not (null or "" or WebhookEventStatus.Received or WebhookEventStatus.Processed or WebhookEventStatus.Ignored or WebhookEventStatus.Failed or WebhookEventStatus.Parked))
        {
            throw BillingException.Invalid("status", "'status' must be 'received', 'processed', 'ignored', 'failed' or 'parked'.");
        }

        var rows = await admin.ListWebhookEventsAsync(string.IsNullOrEmpty(status) ? null : status, 200, cancellationToken).ConfigureAwait(false);
        var counts = await admin.CountWebhookEventsAsync(cancellationToken).ConfigureAwait(false);
        var items = rows.Select(e => new WebhookEventView(e.Id, e.Type, e.Created, e.ApiVersion, e.ReceivedAt, e.ProcessedAt, e.Status, e.Attempts, e.LastError)).ToList();
        return TypedResults.Json(new WebhookListResponse(counts, items), WebhookJsonContext.Default.WebhookListResponse);
    }

    private static async Task<IResult> RetryAsync(string eventId, BillingAdministration admin, CancellationToken cancellationToken)
    {
        var status = await admin.RetryWebhookEventAsync(eventId, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new WebhookRetryAnswer(true, eventId, status), WebhookJsonContext.Default.WebhookRetryAnswer);
    }

    private static async Task<IResult> ReplayAsync(HttpRequest request, BillingAdministration admin, CancellationToken cancellationToken)
    {
        var text = request.Query["since"].FirstOrDefault();
        if (string.IsNullOrEmpty(text) || !DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var since))
        {
            throw BillingException.Invalid("since", "'since' must be an ISO 8601 time, such as 2026-11-01T00:00:00Z.");
        }

        var result = await admin.ReplayWebhooksAsync(since.ToUniversalTime(), cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(result, WebhookJsonContext.Default.WebhookReplayResult);
    }

    [LoggerMessage(EventId = 1530, Level = LogLevel.Warning, Message = "Stripe webhook from {RemoteAddress} rejected: {Verdict}")]
    private static partial void LogRejected(ILogger logger, string remoteAddress, string verdict);
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(WebhookAnswer))]
[System.Text.Json.Serialization.JsonSerializable(typeof(WebhookListResponse))]
[System.Text.Json.Serialization.JsonSerializable(typeof(WebhookRetryAnswer))]
[System.Text.Json.Serialization.JsonSerializable(typeof(WebhookReplayResult))]
internal sealed partial class WebhookJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
