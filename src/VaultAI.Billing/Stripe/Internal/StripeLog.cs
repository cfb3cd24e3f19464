using Microsoft.Extensions.Logging;

namespace VaultAI.Billing.Stripe.Internal;

/// <summary>Log messages of the Stripe HTTP pipeline. Never the API key, session tokens or bodies.</summary>
internal static partial class StripeLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Debug,
        Message = "Stripe {Method} {Operation} answered {StatusCode} in {DurationMs} ms (request id {RequestId})")]
    public static partial void RequestSucceeded(ILogger logger, string method, string operation, int statusCode, long durationMs, string? requestId);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning,
        Message = "Stripe {Method} {Operation} answered {StatusCode} in {DurationMs} ms (request id {RequestId}, Stripe-Should-Retry {ShouldRetry})")]
    public static partial void RequestFailed(ILogger logger, string method, string operation, int statusCode, long durationMs, string? requestId, string? shouldRetry);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning,
        Message = "Stripe {Method} {Operation} could not complete ({Reason}) after {DurationMs} ms")]
    public static partial void ConnectionFailed(ILogger logger, string method, string operation, string reason, long durationMs);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning,
        Message = "Stripe call failed ({Outcome}); retry {Attempt} in {DelayMs} ms")]
    public static partial void Retrying(ILogger logger, string outcome, int attempt, long delayMs);
}
