using Microsoft.Extensions.Configuration;

namespace BillingHost.Hosting;

/// <summary>
/// How the host runs, decided once from configuration before anything else is composed: embedded (SQLite and the
/// in-process Stripe emulator, zero configuration) unless a PostgreSQL connection string or a Stripe key is set.
/// </summary>
public sealed record HostMode(bool Embedded, string? SqlitePath, Uri? EmulatorAddress)
{
    /// <summary>The Stripe key setting that turns embedded mode off.</summary>
    public const string StripeApiKeySetting = "VaultAI:Billing:Stripe:ApiKey";

    /// <summary>Whether the configuration asks for production mode.</summary>
    public static bool IsProduction(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration.GetConnectionString(BillingHostOptions.ConnectionStringName)) ||
        !string.IsNullOrWhiteSpace(configuration[StripeApiKeySetting]);
}
