using System.Text.Json;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Client;

/// <summary>The last good usage answer, in memory and in <c>usage.json</c> in the spool folder, so it survives a restart.</summary>
internal sealed class UsageCache(IOptions<VaultAIBillingClientOptions> options)
{
    public const string FileName = "usage.json";

    private readonly string _path = Path.Combine(options.Value.SpoolDirectory!, FileName);
    private OrganizationUsage? _current;
    private bool _loaded;

    public async ValueTask<OrganizationUsage?> GetAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        if (!_loaded)
        {
            _current = await LoadAsync(cancellationToken).ConfigureAwait(false);
            _loaded = true;
        }

        var current = _current;
        return current is not null && current.OrganizationId == organizationId ? current : null;
    }

    public async ValueTask SetAsync(OrganizationUsage usage, CancellationToken cancellationToken)
    {
        _current = usage;
        _loaded = true;
        try
        {
            await AtomicFile.WriteAsync(_path, JsonSerializer.SerializeToUtf8Bytes(usage, WireJson.Options), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The in-memory copy still serves; the file only matters across restarts.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task<OrganizationUsage?> LoadAsync(CancellationToken cancellationToken)
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
                return await JsonSerializer.DeserializeAsync<OrganizationUsage>(stream, WireJson.Options, cancellationToken).ConfigureAwait(false);
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
