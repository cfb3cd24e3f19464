using System.Text.Json;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Client;

/// <summary>The last good status, in memory and in <c>status.json</c> in the spool folder, so it survives a restart.</summary>
internal sealed class StatusCache(IOptions<VaultAIBillingClientOptions> options)
{
    public const string FileName = "status.json";

    private readonly string _path = Path.Combine(options.Value.SpoolDirectory!, FileName);
    private OrganizationStatus? _current;
    private bool _loaded;

    public async ValueTask<OrganizationStatus?> GetAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        if (!_loaded)
        {
            _current = await LoadAsync(cancellationToken).ConfigureAwait(false);
            _loaded = true;
        }

        var current = _current;
        return current is not null && current.OrganizationId == organizationId ? current : null;
    }

    public async ValueTask SetAsync(OrganizationStatus status, CancellationToken cancellationToken)
    {
        _current = status;
        _loaded = true;
        var bytes = JsonSerializer.SerializeToUtf8Bytes(status with { IsStale = false }, WireJson.Options);
        try
        {
            await AtomicFile.WriteAsync(_path, bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The in-memory copy still serves; the file only matters across restarts.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task<OrganizationStatus?> LoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(_path))
        {
            return null;
        }

        try
        {
            var stream = File.OpenRead(_path);
            await using (stream.ConfigureAwait(false))
            {
                return await JsonSerializer.DeserializeAsync<OrganizationStatus>(stream, WireJson.Options, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (JsonException)
        {
            return null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
