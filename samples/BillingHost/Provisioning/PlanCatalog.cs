using System.Text.RegularExpressions;
using VaultAI.Billing;

namespace BillingHost.Provisioning;

/// <summary>
/// A plan catalog file (<c>catalogs/&lt;name&gt;.json</c>): the <c>VaultAI:Billing</c> metrics and plans with their amounts,
/// limits and features, without Stripe ids. <c>setup-stripe</c> (and embedded mode) create the Stripe objects it needs
/// and add their ids.
/// </summary>
public sealed partial class PlanCatalog
{
    /// <summary>The setting that selects the catalog: a built-in name (<c>vaultai</c>, <c>saas</c>) or the path of a JSON file.</summary>
    public const string Setting = "VaultAI:Host:Catalog";

    /// <summary>The catalog used when <see cref="Setting"/> is not set.</summary>
    public const string DefaultName = "vaultai";

    private PlanCatalog(string name, IReadOnlyList<KeyValuePair<string, string>> settings, VaultAIBillingOptions options)
    {
        Name = name;
        Settings = settings;
        Options = options;
    }

    /// <summary>The catalog's name, for example <c>saas</c>.</summary>
    public string Name { get; }

    /// <summary>The catalog's settings, as configuration keys under <c>VaultAI:Billing</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Settings { get; }

    /// <summary>The catalog bound to the billing options (metrics, report metric, plans).</summary>
    public VaultAIBillingOptions Options { get; }

    /// <summary>Loads the catalog <paramref name="configuration"/> selects, the default one when it selects none.</summary>
    /// <param name="configuration">The host's configuration.</param>
    /// <param name="contentRoot">Where a relative file path is looked up first.</param>
    /// <returns>The catalog.</returns>
    public static PlanCatalog Load(IConfiguration configuration, string? contentRoot = null) =>
        Load(configuration[Setting] is { Length: > 0 } selected ? selected : DefaultName, contentRoot);

    /// <summary>Loads a built-in catalog by name, or a catalog file by path.</summary>
    /// <param name="nameOrPath">A built-in name (<c>vaultai</c>, <c>saas</c>) or a path ending in <c>.json</c>.</param>
    /// <param name="contentRoot">Where a relative file path is looked up first.</param>
    /// <returns>The catalog.</returns>
    /// <exception cref="Hosting.HostConfigurationException">The catalog does not exist or is not valid JSON.</exception>
    public static PlanCatalog Load(string nameOrPath, string? contentRoot = null)
    {
        string path;
        string name;
        if (nameOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            path = Path.IsPathRooted(nameOrPath) || contentRoot is null ? Path.GetFullPath(nameOrPath) : Path.GetFullPath(Path.Combine(contentRoot, nameOrPath));
            name = Path.GetFileNameWithoutExtension(path);
        }
        else if (CatalogName().IsMatch(nameOrPath))
        {
            name = nameOrPath;
            path = Path.Combine(AppContext.BaseDirectory, "catalogs", nameOrPath + ".json");
        }
        else
        {
            throw new Hosting.HostConfigurationException($"{Setting} must be a catalog name (vaultai, saas) or the path of a .json file.");
        }

        if (!File.Exists(path))
        {
            throw new Hosting.HostConfigurationException($"{Setting}: no catalog '{nameOrPath}' ({path} does not exist); the built-in ones are vaultai and saas.");
        }

        IConfigurationRoot file;
        try
        {
            file = new ConfigurationBuilder().AddJsonFile(path, optional: false, reloadOnChange: false).Build();
        }
        catch (InvalidDataException exception)
        {
            throw new Hosting.HostConfigurationException($"{Setting}: the catalog {path} is not valid JSON ({exception.InnerException?.Message ?? exception.Message}).");
        }

        var section = file.GetSection(VaultAIBillingOptions.SectionName);
        var settings = section.AsEnumerable(makePathsRelative: true)
            .Where(kv => kv.Value is not null)
            .Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value!))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .ToList();
        var options = new VaultAIBillingOptions();
        section.Bind(options);
        return new PlanCatalog(name, settings, options);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,40}$")]
    private static partial Regex CatalogName();
}
