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

    /// <summary>Requests per minute a single instance token (or client address) may send to the instance routes.</summary>
    public int InstanceRequestsPerMinute { get; set; } = 60;

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
