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
    }

    public void Spooled() => _spooled?.Add(1);

    public void Sent(bool duplicate) => _sent?.Add(1, new KeyValuePair<string, object?>("duplicate", duplicate));

    public void Rejected(int statusCode) => _rejected?.Add(1, new KeyValuePair<string, object?>("http.response.status_code", statusCode));

    public void DeliveryFailed(string reason) => _deliveryFailures?.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
