using Microsoft.Extensions.Options;
using Npgsql;
using VaultAI.Billing;

namespace BillingHost.Hosting;

/// <summary>A setting the host cannot start without; the message names the key.</summary>
public sealed class HostConfigurationException(string message) : Exception(message);

/// <summary>Host-level checks at start, on top of the library's own, with messages naming the setting to fix.</summary>
internal static class HostValidation
{
    /// <summary>The PostgreSQL connection string, required in production.</summary>
    public static string RequireConnectionString(IConfiguration configuration)
    {
        const string Key = "ConnectionStrings:" + BillingHostOptions.ConnectionStringName;
        var value = configuration.GetConnectionString(BillingHostOptions.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new HostConfigurationException(
                $"{Key} must be set to a PostgreSQL connection string in production mode (environment variable ConnectionStrings__Billing), " +
                "for example Host=db;Database=billing;Username=billing;Password=...");
        }

        try
        {
            var parsed = new NpgsqlConnectionStringBuilder(value);
            if (string.IsNullOrWhiteSpace(parsed.Host))
            {
                throw new HostConfigurationException($"{Key} must name the PostgreSQL server (Host=...).");
            }
        }
        catch (ArgumentException e)
        {
            throw new HostConfigurationException($"{Key} is not a valid PostgreSQL connection string: {e.Message}");
        }

        return value;
    }

    /// <summary>The Stripe secret key, required in production (the library checks its shape again at start).</summary>
    public static void RequireStripeKey(IConfiguration configuration)
    {
        var key = configuration[HostMode.StripeApiKeySetting];
        if (string.IsNullOrWhiteSpace(key))
        {
            throw new HostConfigurationException(
                $"{HostMode.StripeApiKeySetting} must be set to a Stripe secret key (sk_... or rk_...) in production mode " +
                "(environment variable VaultAI__Billing__Stripe__ApiKey).");
        }
    }
}

/// <summary>In production: at least one way for an administrator to sign in, and well-formed hashes.</summary>
internal sealed class BillingHostOptionsValidator(HostMode mode) : IValidateOptions<BillingHostOptions>
{
    private const string S = BillingHostOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, BillingHostOptions options)
    {
        var errors = new List<string>();
        if (!mode.Embedded && options.Admins.Count == 0 && options.AdminApiKeyHashes.Count == 0)
        {
            errors.Add($"{S}:Admins:<name>:PasswordHash or {S}:AdminApiKeyHashes:0 must be set in production mode, or nobody can administer billing; " +
                       "run the 'hash-password' or 'generate-api-key' command to make one.");
        }

        foreach (var (admin, settings) in options.Admins)
        {
            if (string.IsNullOrWhiteSpace(settings.PasswordHash) || !IsIdentityHash(settings.PasswordHash))
            {
                errors.Add($"{S}:Admins:{admin}:PasswordHash must be a password hash printed by the 'hash-password' command.");
            }
        }

        for (var i = 0; i < options.AdminApiKeyHashes.Count; i++)
        {
            var hash = options.AdminApiKeyHashes[i].Trim();
            if (hash.Length != 64 || !hash.All(Uri.IsHexDigit))
            {
                errors.Add($"{S}:AdminApiKeyHashes:{i} must be a SHA-256 hash in hex (64 characters) printed by the 'generate-api-key' command.");
            }
        }

        if (options.InstanceRequestsPerMinute is < 1 or > 100_000)
        {
            errors.Add($"{S}:InstanceRequestsPerMinute must be between 1 and 100000.");
        }

        if (options.UnauthenticatedRequestsPerMinute is < 1 or > 100_000)
        {
            errors.Add($"{S}:UnauthenticatedRequestsPerMinute must be between 1 and 100000.");
        }

        if (options.FailedAdminApiKeysPerMinute is < 1 or > 100_000)
        {
            errors.Add($"{S}:FailedAdminApiKeysPerMinute must be between 1 and 100000.");
        }

        for (var i = 0; i < options.ForwardedHeaders.KnownProxies.Count; i++)
        {
            if (!System.Net.IPAddress.TryParse(options.ForwardedHeaders.KnownProxies[i], out _))
            {
                errors.Add($"{S}:ForwardedHeaders:KnownProxies:{i} must be an IP address such as 10.0.0.5.");
            }
        }

        for (var i = 0; i < options.ForwardedHeaders.KnownNetworks.Count; i++)
        {
            if (!System.Net.IPNetwork.TryParse(options.ForwardedHeaders.KnownNetworks[i], out _))
            {
                errors.Add($"{S}:ForwardedHeaders:KnownNetworks:{i} must be a network in CIDR notation such as 10.0.0.0/8.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsIdentityHash(string value)
    {
        try
        {
            var bytes = Convert.FromBase64String(value);
            return bytes.Length > 13 && bytes[0] == 0x01;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>In production: the webhook secret and real-looking price ids, which the library leaves to the host.</summary>
internal sealed class ProductionBillingOptionsValidator(HostMode mode) : IValidateOptions<VaultAIBillingOptions>
{
    private const string S = VaultAIBillingOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, VaultAIBillingOptions options)
    {
        if (mode.Embedded)
        {
            return ValidateOptionsResult.Success;
        }

        var errors = new List<string>();
        if (options.Webhooks.Secrets.Count == 0)
        {
            errors.Add($"{S}:Webhooks:Secrets:0 must be set to the signing secret (whsec_...) of the Stripe webhook endpoint that points at /api/stripe/webhook (environment variable VaultAI__Billing__Webhooks__Secrets__0).");
        }

        foreach (var (key, plan) in options.Plans)
        {
            if (!string.IsNullOrWhiteSpace(plan.MonthlyPriceId) && !IsPriceId(plan.MonthlyPriceId))
            {
                errors.Add($"{S}:Plans:{key}:MonthlyPriceId must be a Stripe price id (price_...); run 'setup-stripe' to print the right value.");
            }

            if (plan.YearlyPriceId is not null && !IsPriceId(plan.YearlyPriceId))
            {
                errors.Add($"{S}:Plans:{key}:YearlyPriceId must be a Stripe price id (price_...); run 'setup-stripe' to print the right value.");
            }

            foreach (var (setting, value) in CatalogPriceIds(plan))
            {
                if (!string.IsNullOrEmpty(value) && !IsPriceId(value))
                {
                    errors.Add($"{S}:Plans:{key}:{setting} must be a Stripe price id (price_...); run 'setup-stripe' to print the right value.");
                }
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>The seat and overage price ids of a plan, by their setting under the plan.</summary>
    private static IEnumerable<(string Setting, string? Value)> CatalogPriceIds(VaultAI.Billing.Plans.BillingPlan plan)
    {
        if (plan.Seats is { } seats)
        {
            yield return ("Seats:PriceId", seats.PriceId);
            yield return ("Seats:YearlyPriceId", seats.YearlyPriceId);
        }

        foreach (var (metric, terms) in plan.Metrics)
        {
            yield return ($"Metrics:{metric}:OveragePriceId", terms?.OveragePriceId);
            yield return ($"Metrics:{metric}:YearlyOveragePriceId", terms?.YearlyOveragePriceId);
        }
    }

    private static bool IsPriceId(string value) =>
        value.StartsWith("price_", StringComparison.Ordinal) && value.Length > 6 && value.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
