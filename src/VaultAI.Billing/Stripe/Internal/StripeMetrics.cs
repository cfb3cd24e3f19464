using System.Diagnostics.Metrics;

namespace VaultAI.Billing.Stripe.Internal;

/// <summary>The Stripe client's instruments on the <c>VaultAI.Billing</c> meter.</summary>
internal sealed class StripeMetrics : IDisposable
{
    public const string MeterName = "VaultAI.Billing";
    public const string RequestsName = "vaultai.billing.stripe.requests";
    public const string DurationName = "vaultai.billing.stripe.request.duration";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;

    public StripeMetrics(IMeterFactory? meterFactory)
    {
        // The factory owns (and disposes) the meters it creates; without one we own ours.
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _requests = _meter.CreateCounter<long>(RequestsName, unit: "{request}", description: "Stripe HTTP attempts by operation and outcome.");
        _duration = _meter.CreateHistogram<double>(DurationName, unit: "s", description: "Duration of Stripe HTTP attempts.");
    }

    /// <summary>Records one attempt; <paramref name="outcome"/> is success, retry or error.</summary>
    public void Record(string operation, string outcome, TimeSpan duration)
    {
        var operationTag = new KeyValuePair<string, object?>("operation", operation);
        var outcomeTag = new KeyValuePair<string, object?>("outcome", outcome);
        _requests.Add(1, operationTag, outcomeTag);
        _duration.Record(duration.TotalSeconds, operationTag, outcomeTag);
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
