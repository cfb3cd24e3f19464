using VaultAI.Billing.Testing.State.Internal;

namespace VaultAI.Billing.Testing;

/// <summary>Read-only snapshots of the emulated Stripe account, for assertions. Each property copies the current state.</summary>
public sealed class EmulatorState
{
    private readonly Engine _engine;

    internal EmulatorState(Engine engine)
    {
        _engine = engine;
    }

    /// <summary>Gets the customers, oldest first.</summary>
    public IReadOnlyList<EmulatedCustomer> Customers => Read(e => e.Customers.Values.OrderBy(c => c.Sequence)
        .Select(c => new EmulatedCustomer(c.Id, c.Email, c.Name, Copy(c.Metadata), c.Created, c.Outcome)).ToList());

    /// <summary>Gets the prices, oldest first.</summary>
    public IReadOnlyList<EmulatedPrice> Prices => Read(e => e.Prices.Values.OrderBy(p => p.Sequence)
        .Select(p => new EmulatedPrice(p.Id, p.ProductId, p.Currency, p.UnitAmountDecimal ?? p.UnitAmount, p.Interval, p.UsageType, p.MeterId, p.LookupKey, p.Active)).ToList());

    /// <summary>Gets the subscriptions, oldest first.</summary>
    public IReadOnlyList<EmulatedSubscription> Subscriptions => Read(e => e.Subscriptions.Values.OrderBy(s => s.Sequence)
        .Select(s => new EmulatedSubscription(
            s.Id,
            s.CustomerId,
            s.Status,
            s.Items.Select(i => new EmulatedSubscriptionItem(i.Id, i.PriceId, i.Quantity)).ToList(),
            s.CurrentPeriodStart,
            s.CurrentPeriodEnd,
            s.TrialEnd,
            s.CancelAtPeriodEnd,
            s.CanceledAt,
            s.LatestInvoiceId,
            Copy(s.Metadata))).ToList());

    /// <summary>Gets the invoices, oldest first.</summary>
    public IReadOnlyList<EmulatedInvoice> Invoices => Read(e => e.Invoices.Values.OrderBy(i => i.Sequence)
        .Select(i => new EmulatedInvoice(
            i.Id,
            i.CustomerId,
            i.SubscriptionId,
            i.Status,
            i.Total,
            i.AmountPaid,
            i.BillingReason,
            i.AttemptCount,
            i.PeriodStart,
            i.PeriodEnd,
            i.Lines.Select(l => new EmulatedInvoiceLine(l.Id, l.PriceId, l.Quantity, l.Amount, l.PeriodStart, l.PeriodEnd)).ToList())).ToList());

    /// <summary>Gets the billing meters, oldest first.</summary>
    public IReadOnlyList<EmulatedMeter> Meters => Read(e => e.Meters.Values.OrderBy(m => m.Sequence)
        .Select(m => new EmulatedMeter(m.Id, m.DisplayName, m.EventName, m.Formula, m.CustomerKey, m.ValueKey)).ToList());

    /// <summary>Gets the accepted meter events (after identifier dedupe), in arrival order.</summary>
    public IReadOnlyList<EmulatedMeterEvent> MeterEvents => Read(e => e.MeterEvents
        .Select(m => new EmulatedMeterEvent(m.Identifier, m.EventName, m.CustomerId, m.Value, m.Timestamp, Copy(m.Payload))).ToList());

    /// <summary>Gets every event emitted, oldest first.</summary>
    public IReadOnlyList<EmulatedEvent> Events => Read(e => e.Events
        .Select(v => new EmulatedEvent(v.Id, v.Type, v.Created, v.Json)).ToList());

    private T Read<T>(Func<Engine, T> read)
    {
        lock (_engine.Gate)
        {
            return read(_engine);
        }
    }

    private static Dictionary<string, string> Copy(Dictionary<string, string> source) => new(source, StringComparer.Ordinal);
}
