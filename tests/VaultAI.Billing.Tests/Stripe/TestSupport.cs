using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace VaultAI.Billing.Tests.Stripe;

/// <summary>Minimal Stripe objects as the API renders them.</summary>
internal static class StripeJson
{
    public static string Customer(string id = "cus_123", string email = "a@example.com") =>
        $$$$"""{"id":"{{{{id}}}}","object":"customer","email":"{{{{email}}}}","name":"Acme","metadata":{"organization_id":"org_1"},"created":1700000000,"livemode":false}""";

    public static string Subscription(string id = "sub_123") =>
        $$$$"""{"id":"{{{{id}}}}","object":"subscription","customer":"cus_123","status":"trialing","cancel_at_period_end":false,"created":1700000000,"trial_start":1700000000,"trial_end":1700345600,"metadata":{},"items":{"object":"list","data":[{"id":"si_1","price":{"id":"price_abc","product":"prod_1","currency":"usd","unit_amount":null,"unit_amount_decimal":"0.5","active":true,"recurring":{"interval":"month","interval_count":1,"usage_type":"metered","meter":"mtr_123"},"metadata":{}},"current_period_start":1700000000,"current_period_end":1702592000}],"has_more":false}}""";

    public static string Product(string id = "prod_1") => $$$$"""{"id":"{{{{id}}}}","object":"product","name":"VaultAI","active":true,"metadata":{}}""";

    public static string Price(string id = "price_abc") =>
        $$$$"""{"id":"{{{{id}}}}","object":"price","product":"prod_1","currency":"usd","unit_amount_decimal":"0.5","lookup_key":"api_calls","active":true,"recurring":{"interval":"month","usage_type":"metered","meter":"mtr_123"},"metadata":{}}""";

    public static string Meter(string id = "mtr_123") =>
        $$$$"""{"id":"{{{{id}}}}","object":"billing.meter","display_name":"API calls","event_name":"api_calls","status":"active","default_aggregation":{"formula":"sum"},"customer_mapping":{"event_payload_key":"stripe_customer_id","type":"by_id"},"value_settings":{"event_payload_key":"value"}}""";

    public static string MeterEvent() =>
        """{"object":"billing.meter_event","event_name":"api_calls","identifier":"org-x-2026-01-01T00:00Z","payload":{"stripe_customer_id":"cus_123","value":"45"},"timestamp":1795000000,"created":1795000001,"livemode":false}""";

    public static string Invoice(string id = "in_1") =>
        $$$$"""{"id":"{{{{id}}}}","object":"invoice","number":"VA-0001","customer":"cus_123","parent":{"type":"subscription_details","subscription_details":{"subscription":"sub_123"}},"status":"open","amount_due":4500,"amount_paid":0,"amount_remaining":4500,"total":4500,"currency":"usd","period_start":1700000000,"period_end":1702592000,"created":1702592000,"lines":{"object":"list","data":[{"id":"il_1","amount":4500,"description":"API calls","quantity":9000,"period":{"start":1700000000,"end":1702592000},"pricing":{"type":"price_details","price_details":{"price":"price_abc","product":"prod_1"}}}],"has_more":false}}""";

    public static string Event(string id = "evt_1", string type = "customer.subscription.updated") =>
        $$$$"""{"id":"{{{{id}}}}","object":"event","type":"{{{{type}}}}","api_version":"2026-10-28.endive","created":1700000000,"livemode":false,"data":{"object":{{{{Subscription()}}}},"previous_attributes":{"status":"incomplete"}}}""";

    public static string List(params string[] items) => List(false, items);

    public static string List(bool hasMore, params string[] items) =>
        $$$$"""{"object":"list","url":"/v1/x","has_more":{{{{(hasMore ? "true" : "false")}}}},"data":[{{{{string.Join(",", items)}}}}]}""";
}

/// <summary>Captures log messages (formatted) so tests can check what is logged.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Messages { get; } = new();

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this);

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(CapturingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Messages.Enqueue($"{logLevel} {eventId.Id} {formatter(state, exception)} {exception}");
    }
}

/// <summary>
/// A clock whose short timers (retry delays) fire at once and are recorded; long timers (the per-attempt timeout)
/// run on the system clock so they never fire during a test.
/// </summary>
internal sealed class RecordingTimeProvider : TimeProvider
{
    private static readonly TimeSpan ShortTimer = TimeSpan.FromSeconds(70);

    public ConcurrentQueue<TimeSpan> Delays { get; } = new();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime == Timeout.InfiniteTimeSpan || dueTime >= ShortTimer)
        {
            return System.CreateTimer(callback, state, dueTime, period);
        }

        Delays.Enqueue(dueTime);
        ThreadPool.QueueUserWorkItem(_ => callback(state));
        return new NoOpTimer();
    }

    private sealed class NoOpTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
