using System.Text;

namespace VaultAI.Billing.Client;

/// <summary>
/// The default <see cref="IBillingTokenStore"/>: one file (<c>billing-token</c> in the spool folder by default),
/// written atomically and readable by its owner only (mode 600 on Unix).
/// </summary>
public sealed class FileBillingTokenStore : IBillingTokenStore
{
    /// <summary>The file name used inside the spool folder.</summary>
    public const string DefaultFileName = "billing-token";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _cached;
    private bool _loaded;

    /// <summary>Initializes a new instance of the <see cref="FileBillingTokenStore"/> class.</summary>
    /// <param name="filePath">The token file's path; its folder is created (owner-only) when the token is first written.</param>
    public FileBillingTokenStore(string filePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        FilePath = Path.GetFullPath(filePath);
    }

    /// <summary>Gets the token file's full path.</summary>
    public string FilePath { get; }

    /// <inheritdoc />
    public async ValueTask<string?> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return _cached;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_loaded)
            {
                _cached = File.Exists(FilePath)
                    ? NullIfEmpty((await File.ReadAllTextAsync(FilePath, Encoding.UTF8, cancellationToken).ConfigureAwait(false)).Trim())
                    : null;
                _loaded = true;
            }

            return _cached;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask SetTokenAsync(string token, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await AtomicFile.WriteAsync(FilePath, Encoding.UTF8.GetBytes(token), cancellationToken).ConfigureAwait(false);
            _cached = token;
            _loaded = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets the in-memory copy so the next read goes back to the file (for example after an administrator replaced it).</summary>
    public void Reload() => _loaded = false;

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
