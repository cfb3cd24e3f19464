using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace VaultAI.Billing.Events.Internal;

/// <summary>Records events with one delivery row per registered handler, in one transaction, and wakes the delivery loop.</summary>
internal sealed partial class BillingEventLog(
    IBillingEventStore store,
    IServiceScopeFactory scopes,
    BillingEventSignal signal,
    TimeProvider timeProvider,
    ILogger<BillingEventLog> logger) : IBillingEventLog
{
    private IReadOnlyList<string>? _handlers;

    public async Task<BillingEvent?> RecordAsync(BillingEventEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentException.ThrowIfNullOrWhiteSpace(entry.Type);
        ArgumentException.ThrowIfNullOrWhiteSpace(entry.Actor);
        var now = timeProvider.GetUtcNow();
        var billingEvent = new BillingEvent
        {
            Id = Guid.CreateVersion7(now),
            OrganizationId = entry.OrganizationId,
            Type = entry.Type,
            Actor = entry.Actor.Length > 200 ? entry.Actor[..200] : entry.Actor,
            OccurredAt = now,
            Data = entry.Data?.ToJsonString() ?? "{}",
            DeduplicationKey = entry.DeduplicationKey,
        };
        var deliveries = HandlerNames().Select(handler => new BillingEventDelivery
        {
            Id = Guid.CreateVersion7(now),
            EventId = billingEvent.Id,
            Handler = handler,
            Status = BillingEventDeliveryStatus.Pending,
            NextAttemptAt = now,
        }).ToList();

        if (!await store.AppendAsync(billingEvent, deliveries, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        LogRecorded(logger, billingEvent.Type, billingEvent.OrganizationId, billingEvent.Actor);
        if (deliveries.Count > 0)
        {
            signal.Wake();
        }

        return billingEvent;
    }

    public Task<BillingEventPage> QueryAsync(BillingEventQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return store.QueryAsync(query with { Skip = Math.Max(0, query.Skip), Take = Math.Clamp(query.Take, 1, 1000) }, cancellationToken);
    }

    /// <summary>The names of the registered handlers (their types), read once.</summary>
    internal IReadOnlyList<string> HandlerNames()
    {
        if (_handlers is null)
        {
            using var scope = scopes.CreateScope();
            _handlers = scope.ServiceProvider.GetServices<IBillingEventHandler>().Select(NameOf).Distinct(StringComparer.Ordinal).ToList();
        }

        return _handlers;
    }

    internal static string NameOf(IBillingEventHandler handler) => handler.GetType().FullName ?? handler.GetType().Name;

    [LoggerMessage(EventId = 1601, Level = LogLevel.Information, Message = "Billing event {Type} recorded for organization {OrganizationId} by {Actor}")]
    private static partial void LogRecorded(ILogger logger, string type, Guid? organizationId, string actor);
}

/// <summary>Wakes the delivery loop when this host records an event, so handlers hear of it without waiting for the poll.</summary>
internal sealed class BillingEventSignal
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);

    public void Wake()
    {
        try
        {
            _semaphore.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake.
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _semaphore.WaitAsync(timeout, cancellationToken);
}
