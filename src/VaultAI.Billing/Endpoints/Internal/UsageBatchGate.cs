using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Endpoints.Internal;

/// <summary>
/// How many <c>POST /api/usage-events</c> requests this host works on at once (<see cref="UsageEventsOptions.MaxConcurrentRequests"/>).
/// A request that waits has written nothing; one whose client gives up while waiting leaves without a trace.
/// </summary>
internal sealed class UsageBatchGate(IOptions<VaultAIBillingOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(SlotsFor(options.Value.UsageEvents.MaxConcurrentRequests));

    /// <summary>Waits for a slot; disposing the result gives it back.</summary>
    public async Task<Turn> EnterAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Turn(_slots);
    }

    public void Dispose() => _slots.Dispose();

    internal static int SlotsFor(int configured) => configured > 0 ? configured : Math.Max(2, Environment.ProcessorCount * 2);

    /// <summary>One request's slot.</summary>
    internal readonly struct Turn(SemaphoreSlim slots) : IDisposable
    {
        public void Dispose() => slots.Release();
    }
}
