using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace VaultAI.Billing.Client;

/// <summary>The client's instruments on the shared <c>VaultAI.Billing</c> meter (absent when the host registers no <see cref="IMeterFactory"/>).</summary>
internal sealed class BillingClientMetrics
{
    public const string MeterName = "VaultAI.Billing";

    private readonly Counter<long>? _spooled;
    private readonly Counter<long>? _sent;
    private readonly Counter<long>? _rejected;
    private readonly Counter<long>? _deliveryFailures;
    private readonly Counter<long>? _eventsSpooled;
    private readonly Counter<long>? _eventsSent;
    private readonly Counter<long>? _eventsRejected;
    private readonly Counter<long>? _eventDeliveryFailures;

    public BillingClientMetrics(IServiceProvider services)
    {
        var meter = services.GetService<IMeterFactory>()?.Create(MeterName);
        if (meter is null)
        {
            return;
        }

        _spooled = meter.CreateCounter<long>("vaultai.billing.client.reports.spooled", "{report}", "Usage reports written to the local spool.");
        _sent = meter.CreateCounter<long>("vaultai.billing.client.reports.sent", "{report}", "Usage reports acknowledged by the billing host.");
        _rejected = meter.CreateCounter<long>("vaultai.billing.client.reports.rejected", "{report}", "Usage reports refused for good and moved to rejected/.");
        _deliveryFailures = meter.CreateCounter<long>("vaultai.billing.client.delivery.failures", "{failure}", "Passes over the spool that stopped on a transient failure or a token problem.");
        _eventsSpooled = meter.CreateCounter<long>("vaultai.billing.client.usage_events.spooled", "{event}", "Usage events written to the local spool.");
        _eventsSent = meter.CreateCounter<long>("vaultai.billing.client.usage_events.sent", "{event}", "Usage events acknowledged by the billing host (accepted or duplicate).");
        _eventsRejected = meter.CreateCounter<long>("vaultai.billing.client.usage_events.rejected", "{event}", "Usage events refused for good and moved to events/rejected/.");
        _eventDeliveryFailures = meter.CreateCounter<long>("vaultai.billing.client.usage_events.delivery.failures", "{failure}", "Passes over the usage event spool that stopped before sending everything.");
    }

    public void Spooled() => _spooled?.Add(1);

    public void Sent(bool duplicate) => _sent?.Add(1, new KeyValuePair<string, object?>("duplicate", duplicate));

    public void Rejected(int statusCode) => _rejected?.Add(1, new KeyValuePair<string, object?>("http.response.status_code", statusCode));

    public void DeliveryFailed(string reason) => _deliveryFailures?.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void UsageEventSpooled() => _eventsSpooled?.Add(1);

    public void UsageEventsSent(int accepted, int duplicates)
    {
        if (accepted > 0)
        {
            _eventsSent?.Add(accepted, new KeyValuePair<string, object?>("duplicate", false));
        }

        if (duplicates > 0)
        {
            _eventsSent?.Add(duplicates, new KeyValuePair<string, object?>("duplicate", true));
        }
    }

    public void UsageEventRejected(string? code) => _eventsRejected?.Add(1, new KeyValuePair<string, object?>("error.type", code ?? "unknown"));

    public void UsageDeliveryFailed() => _eventDeliveryFailures?.Add(1);
}
