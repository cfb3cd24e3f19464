using System.Text.Json;
using Stripe;
using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Webhooks.Internal;

/// <summary>What the inbox keeps of a verified body before Stripe.net reads it: enough to store, dedupe and show it.</summary>
/// <param name="Id">The event id (checked: printable ASCII, at most 255 characters).</param>
/// <param name="Type">The event type as stored (escaped and capped when it is not a plain Stripe type).</param>
/// <param name="Created">The event's <c>created</c>, when it is a Stripe time.</param>
/// <param name="ApiVersion">The API version, when it is a plain string.</param>
/// <param name="Problem">Why the event can never apply, when that is already clear from the envelope.</param>
internal sealed record WebhookEnvelope(string Id, string Type, DateTimeOffset? Created, string? ApiVersion, string? Problem);

/// <summary>An event that can never apply as it is (malformed, unconvertible values, a shape our code rejects): it is parked.</summary>
internal sealed class MalformedEventException(string reason) : Exception(reason);

/// <summary>Verifies and reads Stripe events through Stripe.net, accepting events of any API release.</summary>
internal static class StripeEvents
{
    private static readonly HashSet<string> SubscriptionStatuses = new(StringComparer.Ordinal)
    {
        "trialing", "active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired", "paused",
    };

    /// <summary>
    /// Checks <c>Stripe-Signature</c> over the raw body against each configured secret (rotation: any may match), with the
    /// tolerance around <paramref name="now"/> (the injected clock).
    /// </summary>
    /// <exception cref="BillingException">400 <c>signature_*</c> when no secret verifies the body.</exception>
    public static void Verify(string json, string? header, IEnumerable<string> secrets, TimeSpan tolerance, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            throw SignatureProblem("missing", "The Stripe-Signature header is missing.");
        }

        StripeException? failure = null;
        foreach (var secret in secrets)
        {
            try
            {
                EventUtility.ValidateSignature(json, header, secret, (long)tolerance.TotalSeconds, now.ToUnixTimeSeconds());
                return;
            }
            catch (StripeException exception)
            {
                // A tolerance failure means this secret matched: report that rather than another secret's mismatch.
                if (failure is null || IsExpired(exception))
                {
                    failure = exception;
                }
            }
            catch (Exception exception) when (exception is FormatException or OverflowException or ArgumentException)
            {
                failure ??= new StripeException("The signature header format is unexpected.", exception);
            }
        }

        var code = failure switch
        {
            null => "mismatch",
            _ when IsExpired(failure) => "expired",
            _ when failure.Message.Contains("format", StringComparison.OrdinalIgnoreCase) => "malformed",
            _ => "mismatch",
        };
        throw SignatureProblem(code, $"The Stripe-Signature header is not valid: {failure?.Message}");
    }

    /// <summary>
    /// Reads the envelope of a verified body with System.Text.Json (not Stripe.net, which may refuse it): a JSON object
    /// with a usable <c>id</c> can be kept and parked; anything else is not an event at all.
    /// </summary>
    /// <exception cref="BillingException">400 <c>invalid_event</c> when the body is not a JSON object with a usable event id.</exception>
    public static WebhookEnvelope ReadEnvelope(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 128 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("id", out var idElement)
                || idElement.ValueKind != JsonValueKind.String || idElement.GetString() is not { } id || !IsStripeId(id))
            {
                throw NotAnEvent();
            }

            string? problem = null;
            var type = root.TryGetProperty("type", out var typeElement) && typeElement.ValueKind == JsonValueKind.String ? typeElement.GetString() ?? "" : null;
            if (type is null || !IsEventType(type))
            {
                problem = "'type' is not a Stripe event type.";
                // Escaping can lengthen it: the column holds 100 characters.
                var safe = type is null ? "" : WebhookText.Safe(type, 60);
                type = safe.Length > 100 ? safe[..100] : safe;
            }

            DateTimeOffset? created = root.TryGetProperty("created", out var createdElement) ? StripeTime.TryRead(createdElement) : null;
            var apiVersion = root.TryGetProperty("api_version", out var versionElement) && versionElement.ValueKind == JsonValueKind.String
                && versionElement.GetString() is { Length: <= 64 } version && WebhookText.IsClean(version) ? version : null;
            problem ??= StripeTime.FindInvalidTime(root) is { } path ? $"{path} is not a Stripe time (unix seconds from 0 to {StripeTime.MaxUnixSeconds})." : null;
            return new WebhookEnvelope(id, type, created, apiVersion, problem);
        }
        catch (JsonException)
        {
            throw NotAnEvent();
        }
    }

    /// <summary>Parses an event (already verified, or a stored inbox row) with Stripe.net, of any API release.</summary>
    /// <exception cref="MalformedEventException">When it is not an event Stripe.net can read, or has a time out of range.</exception>
    public static Event Parse(string json)
    {
        var envelope = ReadEnvelopeOrMalformed(json);
        if (envelope.Problem is { } problem)
        {
            throw new MalformedEventException(problem);
        }

        Event? parsed;
        try
        {
            parsed = EventUtility.ParseEvent(json, throwOnApiVersionMismatch: false);
        }
        catch (Exception exception) when (exception is Newtonsoft.Json.JsonException or JsonException or StripeException
            or InvalidCastException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // The exception's message may quote the body: keep only its type and Stripe.net's JSON path.
            throw new MalformedEventException($"Stripe.net cannot read the event ({exception.GetType().Name}{(exception is JsonException { Path: { } path } ? " at " + path : "")}).");
        }

        if (parsed is null || string.IsNullOrEmpty(parsed.Id) || string.IsNullOrEmpty(parsed.Type) || parsed.Data is null)
        {
            throw new MalformedEventException("The body has no id, type or data.");
        }

        return parsed;
    }

    /// <summary>The event's <c>data.object</c> as <typeparamref name="T"/> (read from the raw object when Stripe.net did not type it).</summary>
    /// <exception cref="MalformedEventException">When <c>data.object</c> is missing or an object of another type.</exception>
    public static T DataObject<T>(Event stripeEvent, string expectedObject)
        where T : StripeEntity<T>
    {
        if (stripeEvent.Data.Object is T typed)
        {
            return typed;
        }

        var raw = ((object?)stripeEvent.Data.RawObject)?.ToString();
        if (raw is null)
        {
            throw new MalformedEventException("The event has no data.object.");
        }

        // Stripe.net typed it as something else (or could not): an invoice inside a subscription event is not one.
        if (stripeEvent.Data.Object is not null || HasObjectField(raw))
        {
            throw new MalformedEventException($"data.object is not a {expectedObject}.");
        }

        try
        {
            return StripeEntity.FromJson<T>(raw);
        }
        catch (Exception exception) when (exception is Newtonsoft.Json.JsonException or JsonException or ArgumentException or FormatException or InvalidOperationException or InvalidCastException or OverflowException)
        {
            throw new MalformedEventException($"data.object is not a {expectedObject} Stripe.net can read ({exception.GetType().Name}).");
        }
    }

    private static bool HasObjectField(string raw)
    {
        try
        {
            using var document = JsonDocument.Parse(raw);
            return document.RootElement.ValueKind != JsonValueKind.Object || document.RootElement.TryGetProperty("object", out _);
        }
        catch (JsonException)
        {
            return true;
        }
    }

    /// <summary>When Stripe created the event.</summary>
    public static DateTimeOffset CreatedAt(this Event stripeEvent) => stripeEvent.Created.ToUtcOffset();

    /// <summary>Whether <paramref name="id"/> can be a Stripe id: 1 to 255 ASCII letters, digits, <c>_</c>, <c>-</c> or <c>.</c>.</summary>
    public static bool IsStripeId(string? id) => id is { Length: > 0 and <= 255 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    /// <summary>Requires an id Stripe could have made (or none, when <paramref name="required"/> is false).</summary>
    /// <exception cref="MalformedEventException">When the value cannot be a Stripe id.</exception>
    public static void RequireId(string? id, string field, bool required = true)
    {
        if (id is null ? required : !IsStripeId(id))
        {
            throw new MalformedEventException($"{field} is not a Stripe id.");
        }
    }

    /// <summary>Requires a short plain string (or none): no control characters, at most <paramref name="maxLength"/>.</summary>
    /// <exception cref="MalformedEventException">When the value is too long or has control characters.</exception>
    public static void RequireText(string? value, string field, int maxLength)
    {
        if (value is not null && (value.Length > maxLength || !WebhookText.IsClean(value)))
        {
            throw new MalformedEventException($"{field} is longer than {maxLength} characters or has control characters.");
        }
    }

    /// <summary>Requires one of Stripe's subscription statuses.</summary>
    /// <exception cref="MalformedEventException">For any other value.</exception>
    public static void RequireSubscriptionStatus(string? status)
    {
        if (status is null || !SubscriptionStatuses.Contains(status))
        {
            throw new MalformedEventException("data.object.status is not a subscription status.");
        }
    }

    private static bool IsEventType(string type) => type.Length is > 0 and <= 100 && type.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_');

    private static WebhookEnvelope ReadEnvelopeOrMalformed(string json)
    {
        try
        {
            return ReadEnvelope(json);
        }
        catch (BillingException)
        {
            throw new MalformedEventException("The body is not a JSON object with an event id.");
        }
    }

    private static BillingException NotAnEvent() => BillingException.Invalid("body", "The webhook body is not a Stripe event.", "invalid_event");

    private static bool IsExpired(StripeException exception) => exception.Message.Contains("tolerance", StringComparison.OrdinalIgnoreCase);

    private static BillingException SignatureProblem(string code, string message) => new(400, "signature_" + code, message, "Stripe-Signature");
}
