using System.Diagnostics.Metrics;

namespace VaultAI.Billing.Diagnostics;

/// <summary>
/// The outbox age gauges' source: the oldest waiting rows, read from the store at most once every
/// <see cref="RefreshInterval"/> however often the gauges are observed (several scrapers, a scrape storm), and aged
/// with the clock at each observation so that the value grows between two reads as the real age does.
/// </summary>
internal sealed class OutboxAges(IOutboxAgeReads? reads, TimeProvider timeProvider)
{
    /// <summary>The shortest time between two reads of the store.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long an observation waits for a read it started. Observable instruments are synchronous; a slow database
    /// delays the scrape by at most this, and the next observation gets the result.
    /// </summary>
    private static readonly TimeSpan ReadWait = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();
    private Task? _reading;
    private DateTimeOffset? _lastReadStarted;
    private OldestPending _oldest;
    private bool _known;

    /// <summary>Whether a store can answer: without one the gauges are not created.</summary>
    public bool Available => reads is not null;

    /// <summary>Seconds the oldest pending meter event has waited (0 when none); nothing before a first read succeeded.</summary>
    public IEnumerable<Measurement<double>> MeterEventAge() => Current() is { } oldest ? [Age(oldest.MeterEvent)] : [];

    /// <summary>Seconds the oldest pending billing event delivery has waited (0 when none); nothing before a first read succeeded.</summary>
    public IEnumerable<Measurement<double>> BillingEventDeliveryAge() => Current() is { } oldest ? [Age(oldest.BillingEventDelivery)] : [];

    private Measurement<double> Age(DateTimeOffset? since) =>
        new(since is { } written ? Math.Max(0, (timeProvider.GetUtcNow() - written).TotalSeconds) : 0);

    private OldestPending? Current()
    {
        Task? reading;
        lock (_gate)
        {
            var now = timeProvider.GetUtcNow();
            if (_reading is null && (_lastReadStarted is not { } started || now - started >= RefreshInterval))
            {
                _lastReadStarted = now;
                _reading = Task.Run(ReadAsync);
            }

            reading = _reading;
        }

        // ReadAsync never throws; the wait only bounds how long this observation is delayed.
        reading?.Wait(ReadWait);
        lock (_gate)
        {
            return _known ? _oldest : null;
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            var oldest = await reads!.ReadOldestPendingAsync(CancellationToken.None).ConfigureAwait(false);
            lock (_gate)
            {
                _oldest = oldest;
                _known = true;
            }
        }
        catch (Exception)
        {
            // The database is away: the gauges keep the last value read (the dispatcher's own errors are logged) and the
            // next observation after the interval tries again.
        }
        finally
        {
            lock (_gate)
            {
                _reading = null;
            }
        }
    }
}
