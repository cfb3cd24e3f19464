using Microsoft.Extensions.Logging;

namespace VaultAI.Billing.Stripe.Internal;

/// <summary>Log messages of the Stripe client. Never the API key, tokens or bodies.</summary>
internal static partial class StripeLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Debug,
        Message = "Stripe {Operation} {Method} answered {StatusCode} in {DurationMs} ms (request id {RequestId}, attempt {Attempt})")]
    public static partial void RequestSucceeded(ILogger logger, string operation, string method, int statusCode, long durationMs, string? requestId, int attempt);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning,
        Message = "Stripe {Operation} {Method} answered {StatusCode} in {DurationMs} ms (request id {RequestId}, attempt {Attempt}); retrying in {DelayMs} ms")]
    public static partial void RequestRetrying(ILogger logger, string operation, string method, int statusCode, long durationMs, string? requestId, int attempt, long delayMs);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning,
        Message = "Stripe {Operation} {Method} failed with {StatusCode} {ErrorType}/{ErrorCode} in {DurationMs} ms (request id {RequestId}, attempt {Attempt})")]
    public static partial void RequestFailed(ILogger logger, string operation, string method, int statusCode, string? errorType, string? errorCode, long durationMs, string? requestId, int attempt);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning,
        Message = "Stripe {Operation} {Method} could not complete ({Reason}) after {DurationMs} ms (attempt {Attempt}); retrying in {DelayMs} ms")]
    public static partial void ConnectionRetrying(ILogger logger, string operation, string method, string reason, long durationMs, int attempt, long delayMs);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Error,
        Message = "Stripe {Operation} {Method} could not complete ({Reason}) after {DurationMs} ms (attempt {Attempt}); giving up")]
    public static partial void ConnectionFailed(ILogger logger, string operation, string method, string reason, long durationMs, int attempt);

    [LoggerMessage(EventId = 4106, Level = LogLevel.Error,
        Message = "Stripe {Operation} {Method} answered {StatusCode} with an invalid response object (request id {RequestId}, attempt {Attempt})")]
    public static partial void InvalidResponse(ILogger logger, string operation, string method, int statusCode, string? requestId, int attempt);
}
