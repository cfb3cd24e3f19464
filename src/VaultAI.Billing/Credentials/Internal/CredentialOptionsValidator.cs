namespace VaultAI.Billing.Credentials.Internal;

/// <summary>Checks <c>VaultAI:Billing:Credentials</c> at start, naming the key to fix.</summary>
internal static class CredentialOptionsValidator
{
    private const string S = VaultAIBillingOptions.SectionName + ":Credentials";

    /// <summary>The longest a revoked token may keep working on another host.</summary>
    internal static readonly TimeSpan MaxCacheDuration = TimeSpan.FromMinutes(10);

    /// <summary>The problems of the credential options, each naming its key; empty when they are valid.</summary>
    public static IEnumerable<string> Errors(CredentialOptions? credentials)
    {
        var errors = new List<string>();
        if (credentials is null)
        {
            errors.Add($"{S} must not be null.");
            return errors;
        }

        if (credentials.CacheDuration < TimeSpan.Zero || credentials.CacheDuration > MaxCacheDuration)
        {
            errors.Add($"{S}:CacheDuration must be between 00:00:00 (no cache) and 00:10:00; it bounds how long a token revoked on another host keeps working (for example 00:00:30).");
        }

        if (credentials.CacheSize is < 1 or > 10_000_000)
        {
            errors.Add($"{S}:CacheSize must be between 1 and 10000000.");
        }

        return errors;
    }
}
