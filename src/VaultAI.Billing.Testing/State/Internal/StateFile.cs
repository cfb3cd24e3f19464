using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace VaultAI.Billing.Testing.State.Internal;

/// <summary>
/// Keeps the engine's state in a JSON file: loaded once at start, saved shortly after each change (changes close
/// together are saved once) and when the emulator stops. A save writes a temporary file next to the target and
/// renames it over the target, so a crash mid-write leaves the previous file whole.
/// </summary>
internal sealed partial class StateFile : IAsyncDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(250);

    private readonly Engine _engine;
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly object _scheduleLock = new();
    private Task _pending = Task.CompletedTask;
    private bool _scheduled;
    private bool _disposed;

    public StateFile(Engine engine, string path, ILogger logger)
    {
        _engine = engine;
        _path = Path.GetFullPath(path);
        _logger = logger;
    }

    /// <summary>Loads the file into the engine; a missing, old or unreadable file leaves a fresh state and logs one line.</summary>
    public void Load(FakeTimeProvider clock)
    {
        if (!File.Exists(_path))
        {
            NoStateFile(_logger, _path);
            return;
        }

        try
        {
            var json = File.ReadAllText(_path);
            DateTimeOffset savedClock;
            lock (_engine.Gate)
            {
                savedClock = _engine.LoadState(json);
            }

            // Time moved ahead (a clock advance) stays ahead; it never goes back.
            if (savedClock > clock.GetUtcNow())
            {
                clock.SetUtcNow(savedClock);
            }

            StateLoaded(_logger, _path);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            StateIgnored(_logger, _path, ex.Message);
        }
    }

    /// <summary>Saves the state soon; calls close together make one save.</summary>
    public void Changed()
    {
        lock (_scheduleLock)
        {
            if (_scheduled || _disposed)
            {
                return;
            }

            _scheduled = true;
            _pending = Task.Run(async () =>
            {
                await Task.Delay(Debounce).ConfigureAwait(false);
                lock (_scheduleLock)
                {
                    _scheduled = false;
                }

                await SaveAsync().ConfigureAwait(false);
            });
        }
    }

    /// <summary>Saves the state now and waits for it.</summary>
    public async Task SaveAsync()
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            string json;
            lock (_engine.Gate)
            {
                json = _engine.SaveState(TimeProvider.System.GetUtcNow());
            }

            var directory = Path.GetDirectoryName(_path)!;
            Directory.CreateDirectory(directory);
            var temporary = Path.Combine(directory, "." + Path.GetFileName(_path) + ".tmp");
            await File.WriteAllTextAsync(temporary, json).ConfigureAwait(false);
            File.Move(temporary, _path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            StateNotSaved(_logger, _path, ex.Message);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Waits for a scheduled save, then saves a last time.</summary>
    public async ValueTask DisposeAsync()
    {
        Task pending;
        lock (_scheduleLock)
        {
            _disposed = true;
            pending = _pending;
        }

        await pending.ConfigureAwait(false);
        await SaveAsync().ConfigureAwait(false);
        _writeLock.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe emulator: no state file at {Path}; starting with an empty account.")]
    private static partial void NoStateFile(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe emulator: state loaded from {Path}.")]
    private static partial void StateLoaded(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe emulator: the state file {Path} was ignored ({Reason}); starting with an empty account. It is replaced at the next change.")]
    private static partial void StateIgnored(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe emulator: the state could not be saved to {Path} ({Reason}).")]
    private static partial void StateNotSaved(ILogger logger, string path, string reason);
}
