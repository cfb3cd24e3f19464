using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Credentials.Internal;

/// <summary>
/// The "last used" times of this host's credentials, written in batches: the ids of the credentials used since the last
/// write are kept in memory and written in one statement every <see cref="FlushInterval"/>, when
/// <see cref="FlushAtCount"/> are waiting, and when the host stops. A stored "last used" is therefore the time of the write
/// that carried it: at most <see cref="FlushInterval"/> after the use it records, and a use is recorded at most once an hour
/// per credential and host (<see cref="InstanceAuthenticator"/>), so the time is accurate to about an hour. Best effort:
/// a failed write only loses "last used" times, never a request.
/// </summary>
internal sealed partial class CredentialUseLog(IServiceScopeFactory scopes, TimeProvider timeProvider, ILogger<CredentialUseLog> logger) : IHostedService, IDisposable
{
    /// <summary>How long a use waits at most before it is written.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(5);

    /// <summary>How many waiting uses start a write at once; twice as many are kept at most (the rest are dropped until a write succeeds).</summary>
    public const int FlushAtCount = 5_000;

    private readonly ConcurrentDictionary<Guid, byte> _pending = new();
    private readonly SemaphoreSlim _writing = new(1, 1);
    private ITimer? _timer;

    /// <summary>How many uses wait to be written.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>Notes a use of the credential; it is written with the next batch.</summary>
    public void Record(Guid credentialId)
    {
        var count = _pending.Count;
        if (count >= 2 * FlushAtCount)
        {
            return;
        }

        _pending.TryAdd(credentialId, 0);
        if (count + 1 >= FlushAtCount)
        {
            _ = FlushInBackgroundAsync();
        }
    }

    /// <summary>Writes every waiting use now, in batches of at most <see cref="FlushAtCount"/>.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (!_pending.IsEmpty)
            {
                var batch = new List<Guid>(Math.Min(_pending.Count, FlushAtCount));
                foreach (var pair in _pending)
                {
                    if (batch.Count == FlushAtCount)
                    {
                        break;
                    }

                    if (_pending.TryRemove(pair.Key, out _))
                    {
                        batch.Add(pair.Key);
                    }
                }

                using var scope = scopes.CreateScope();
                var store = scope.ServiceProvider.GetRequiredService<IBillingStore>();
                await store.TouchCredentialsAsync(batch, timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = timeProvider.CreateTimer(_ => _ = FlushInBackgroundAsync(), null, FlushInterval, FlushInterval);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        // The last uses of this host: written before it goes, unless stopping is cut short.
        try
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Best effort by design: a lost "last used" time must never fail a shutdown.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            LogFlushFailed(logger, exception);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _timer?.Dispose();
        _writing.Dispose();
    }

    private async Task FlushInBackgroundAsync()
    {
        try
        {
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Best effort by design: a lost "last used" time must never surface anywhere.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            LogFlushFailed(logger, exception);
        }
    }

    [LoggerMessage(EventId = 1603, Level = LogLevel.Debug, Message = "Could not record the last use of a batch of credentials")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);
}
