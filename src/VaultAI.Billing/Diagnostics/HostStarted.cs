using Microsoft.Extensions.Hosting;

namespace VaultAI.Billing.Diagnostics;

/// <summary>
/// The library's background loops begin their work once the host has started. A host that fails to start (a busy port)
/// then stops without a loop racing the disposal of its services, which would log a stack trace after the one-line error.
/// </summary>
internal static class HostStarted
{
    /// <summary>Waits until the host has started; <see langword="false"/> when it stops first.</summary>
    public static async Task<bool> WaitAsync(IHostApplicationLifetime lifetime, CancellationToken stoppingToken)
    {
        if (lifetime.ApplicationStarted.IsCancellationRequested)
        {
            return true;
        }

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetResult()))
        {
            await started.Task.ConfigureAwait(false);
        }

        return !stoppingToken.IsCancellationRequested;
    }
}
