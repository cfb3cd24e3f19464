using Newtonsoft.Json;
using Stripe;
using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Webhooks.Internal;

/// <summary>Verifies and reads Stripe events through Stripe.net, accepting events of any API release.</summary>
internal static class StripeEvents
{
    /// <summary>
    /// Checks <c>Stripe-Signature</c> over the raw body against each configured secret (rotation: any may match), with the
    /// tolerance around <paramref name="now"/> (the injected clock), then parses the event.
    /// </summary>
    /// <exception cref="BillingException">400 <c>signature_*</c> when no secret verifies the body; 400 <c>invalid_event</c>.</exception>
    public static Event Verify(string json, string? header, IEnumerable<string> secrets, TimeSpan tolerance, DateTimeOffset now)
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
                return Parse(json);
            }
            catch (StripeException exception)
            {
                // A tolerance failure means this secret matched: report that rather than another secret's mismatch.
                if (failure is null || IsExpired(exception))
                {
                    failure = exception;
                }
            }
            catch (Exception exception) when (exception is FormatException or OverflowException)
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

    /// <summary>Parses an event without checking its signature (a stored inbox row), of any API release.</summary>
    /// <exception cref="BillingException">400 <c>invalid_event</c> when it is not a Stripe event.</exception>
    public static Event Parse(string json)
    {
        Event? parsed;
        try
        {
            parsed = EventUtility.ParseEvent(json, throwOnApiVersionMismatch: false);
        }
        catch (Exception exception) when (exception is JsonException or System.Text.Json.JsonException or StripeException
            or InvalidCastException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw BillingException.Invalid("body", "The webhook body is not a Stripe event.", "invalid_event");
        }

        if (parsed is null || string.IsNullOrEmpty(parsed.Id) || string.IsNullOrEmpty(parsed.Type) || parsed.Data is null)
        {
            throw BillingException.Invalid("body", "The webhook body is not a Stripe event.", "invalid_event");
        }

        return parsed;
    }

    /// <summary>The event's <c>data.object</c> as <typeparamref name="T"/> (read from the raw object when Stripe.net did not type it).</summary>
    public static T DataObject<T>(Event stripeEvent)
        where T : StripeEntity<T>
    {
        if (stripeEvent.Data.Object is T typed)
        {
            return typed;
        }

        var raw = (object?)stripeEvent.Data.RawObject;
        return raw is null
            ? throw BillingException.Invalid("body", $"Event {stripeEvent.Id} has no data.object.", "invalid_event")
            : StripeEntity.FromJson<T>(raw.ToString()!);
    }

    /// <summary>When Stripe created the event.</summary>
    public static DateTimeOffset CreatedAt(this Event stripeEvent) => stripeEvent.Created.ToUtcOffset();

    private static bool IsExpired(StripeException exception) => exception.Message.Contains("tolerance", StringComparison.OrdinalIgnoreCase);

    private static BillingException SignatureProblem(string code, string message) => new(400, "signature_" + code, message, "Stripe-Signature");
}
