using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace VaultAI.Billing.Diagnostics;

/// <summary>The library's one <see cref="Meter"/> and <see cref="ActivitySource"/>, both named <c>VaultAI.Billing</c>.</summary>
internal sealed class BillingDiagnostics
{
    public const string Name = "VaultAI.Billing";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Counter<long> _reports;
    private readonly Counter<long> _dispatched;
    private readonly Counter<long> _webhooks;
    private readonly Counter<long> _usageEvents;
    private readonly Histogram<double> _webhookLag;
    private readonly Counter<long> _entitlementRefusals;
    private long _outboxDepth;

    public BillingDiagnostics(IMeterFactory meterFactory, OutboxAges? outboxAges = null)
    {
        var meter = meterFactory.Create(Name);
        _reports = meter.CreateCounter<long>("vaultai.billing.usage.reports", "{report}", "Usage reports by outcome (accepted, duplicate, rejected).");
        _dispatched = meter.CreateCounter<long>("vaultai.billing.meter_events.dispatched", "{event}", "Meter events sent to Stripe by outcome (sent, retry, failed).");
        _usageEvents = meter.CreateCounter<long>("vaultai.billing.usage.events", "{event}", "Usage events recorded by outcome (accepted, duplicate) and metric.");
        _webhooks = meter.CreateCounter<long>("vaultai.billing.webhooks.received", "{event}", "Stripe webhooks by outcome.");
        _webhookLag = meter.CreateHistogram<double>("vaultai.billing.webhooks.lag", "s", "Time from a Stripe event's creation to its receipt here.");
        _entitlementRefusals = meter.CreateCounter<long>("vaultai.billing.entitlements.refused", "{request}", "Requests refused with 402 by entitlement code.");
        meter.CreateObservableGauge("vaultai.billing.outbox.depth", () => Volatile.Read(ref _outboxDepth), "{event}", "Meter events waiting to be sent, as last seen by the dispatcher.");
        if (outboxAges is { Available: true })
        {
            meter.CreateObservableGauge("vaultai.billing.outbox.age", outboxAges.MeterEventAge, "s", "How long the oldest pending meter event has waited to be sent to Stripe (0 when none), read from the store at most every 5 s.");
            meter.CreateObservableGauge("vaultai.billing.event_deliveries.age", outboxAges.BillingEventDeliveryAge, "s", "How long the oldest pending billing event delivery has waited for its hook (0 when none), read from the store at most every 5 s.");
        }
    }

    public void ReportAccepted() => _reports.Add(1, new KeyValuePair<string, object?>("outcome", "accepted"));

    public void ReportDuplicate() => _reports.Add(1, new KeyValuePair<string, object?>("outcome", "duplicate"));

    public void ReportRejected(string code) => _reports.Add(1, new KeyValuePair<string, object?>("outcome", "rejected"), new KeyValuePair<string, object?>("code", code));

    public void UsageEvents(string outcome, string metric, int count) =>
        _usageEvents.Add(count, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("metric", metric));

    public void Dispatched(string outcome, int count = 1) => _dispatched.Add(count, new KeyValuePair<string, object?>("outcome", outcome));

    public void Webhook(string outcome) => _webhooks.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void WebhookLag(DateTimeOffset created, DateTimeOffset received) => _webhookLag.Record(Math.Max(0, (received - created).TotalSeconds));

    public void EntitlementRefused(string code) => _entitlementRefusals.Add(1, new KeyValuePair<string, object?>("code", code));

    public void SetOutboxDepth(long depth) => Volatile.Write(ref _outboxDepth, depth);
}
