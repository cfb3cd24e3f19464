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
    private (DateTime WrittenAt, long Length)? _stamp;

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
    /// <remarks>The file is read again when it changed on disk, so an operator can install a new token without a restart.</remarks>
    public async ValueTask<string?> GetTokenAsync(CancellationToken cancellationToken)
    {
        var stamp = Stamp();
        if (_loaded && stamp == _stamp)
        {
            return _cached;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            stamp = Stamp();
            if (!_loaded || stamp != _stamp)
            {
                _cached = stamp is null
                    ? null
                    : NullIfEmpty((await File.ReadAllTextAsync(FilePath, Encoding.UTF8, cancellationToken).ConfigureAwait(false)).Trim());
                _stamp = stamp;
                _loaded = true;
            }

            return _cached;
        }
        catch (FileNotFoundException)
        {
            _cached = null;
            _stamp = null;
            return null;
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
            _stamp = Stamp();
            _loaded = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    private (DateTime WrittenAt, long Length)? Stamp()
    {
        var info = new FileInfo(FilePath);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : null;
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
