namespace VaultAI.Billing.Client;

/// <summary>What the reporter is waiting for; lets tests (and diagnostics) observe the loop without timing guesses.</summary>
internal sealed class ReporterActivity
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Cycles { get; private set; }

    public DateTimeOffset NextWakeAt { get; private set; }

    public DrainOutcome LastDrain { get; private set; }

    public void OnDrain(DrainOutcome outcome) => LastDrain = outcome;

    /// <summary>Called once the reporter's delay timer exists, just before it awaits it.</summary>
    public void OnIdle(DateTimeOffset nextWakeAt)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            Cycles++;
            NextWakeAt = nextWakeAt;
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    public async Task WaitForIdleAsync(int afterCycle, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (Cycles > afterCycle)
                {
                    return;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cts.Token).ConfigureAwait(false);
        }
    }
}
