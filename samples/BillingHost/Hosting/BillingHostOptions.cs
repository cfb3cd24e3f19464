namespace BillingHost.Hosting;

/// <summary>Settings of the sample host itself, bound from <c>VaultAI:Host</c>.</summary>
public sealed class BillingHostOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "VaultAI:Host";

    /// <summary>The connection string name of the billing database (<c>ConnectionStrings:Billing</c>).</summary>
    public const string ConnectionStringName = "Billing";

    /// <summary>Administrators who sign in to the dashboard: name to password hash (see the <c>hash-password</c> command).</summary>
    public Dictionary<string, AdminUserOptions> Admins { get; set; } = new(StringComparer.Ordinal);

    /// <summary>SHA-256 hashes (hex) of the API keys accepted in <c>X-Admin-Api-Key</c> (see <c>generate-api-key</c>).</summary>
    public List<string> AdminApiKeyHashes { get; set; } = [];

    /// <summary>Whether the schema is migrated when the host starts. Always on in embedded mode; off by default in production.</summary>
    public bool MigrateAtStart { get; set; }

    /// <summary>The folder of the embedded SQLite database. The default is <c>data</c> under the content root.</summary>
    public string? DataPath { get; set; }

    /// <summary>
    /// A folder for the ASP.NET Core Data Protection keys (sign-in cookies, antiforgery tokens). Point every host behind a
    /// load balancer at the same shared folder. The default is the framework's per-user folder (the data folder in embedded mode).
    /// </summary>
    public string? DataProtectionKeysPath { get; set; }

    /// <summary>Requests per minute one organization may send to the instance routes with its valid token. The default is 60.</summary>
    public int InstanceRequestsPerMinute { get; set; } = 60;

    /// <summary>
    /// Requests per minute one client address may send without a valid instance token: registrations and requests with a
    /// missing or wrong token. Once spent, that address's token checks answer 429 too. The default is 20.
    /// </summary>
    public int UnauthenticatedRequestsPerMinute { get; set; } = 20;

    /// <summary>
    /// Wrong <c>X-Admin-Api-Key</c> values per minute one client address may send (IPv6 by /64, the forwarded client behind
    /// a configured proxy). Once spent, that address's admin API key checks answer 429 until the minute is over; valid keys
    /// cost nothing. The default is 10.
    /// </summary>
    public int FailedAdminApiKeysPerMinute { get; set; } = 10;

    /// <summary>
    /// The reverse proxies whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> the host believes (the client address
    /// then comes from the header, for rate limits and logs). Off by default: with no proxy configured the headers are
    /// ignored, since any caller could send them.
    /// </summary>
    public ForwardedHeadersSettings ForwardedHeaders { get; set; } = new();

    /// <summary>Whether <c>/health/ready</c> also checks that Stripe answers. The default is off.</summary>
    public bool CheckStripeWhenReady { get; set; }

    /// <summary>How long a dashboard sign-in lasts without activity. The default is 8 hours.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(8);
}

/// <summary>One administrator.</summary>
public sealed class AdminUserOptions
{
    /// <summary>The ASP.NET Core Identity password hash (base64), printed by <c>hash-password</c>.</summary>
    public string? PasswordHash { get; set; }
}

/// <summary>Which proxies may tell the host the client's address (<c>VaultAI:Host:ForwardedHeaders</c>).</summary>
public sealed class ForwardedHeadersSettings
{
    /// <summary>Proxy addresses, for example <c>10.0.0.5</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Proxy networks in CIDR notation, for example <c>10.0.0.0/8</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>Whether any proxy is configured, which turns the forwarded headers on.</summary>
    public bool Enabled => KnownProxies.Count > 0 || KnownNetworks.Count > 0;
}
