using System.Security.Cryptography;
using System.Text;
using BillingHost.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace BillingHost.Admin;

/// <summary>An administrator, as the password hasher sees it.</summary>
/// <param name="Name">The sign-in name.</param>
public sealed record AdminUser(string Name);

/// <summary>Checks administrators' passwords (ASP.NET Core Identity hashes) and API keys (SHA-256, compared in constant time).</summary>
public sealed class AdminCredentials(IOptionsMonitor<BillingHostOptions> options)
{
    private static readonly PasswordHasher<AdminUser> Hasher = new();

    // Checked when the name is unknown, so a wrong name costs as much time as a wrong password.
    private static readonly string DummyHash = Hasher.HashPassword(new AdminUser("-"), Guid.NewGuid().ToString());

    /// <summary>Hashes a password for <c>VaultAI:Host:Admins:&lt;name&gt;:PasswordHash</c>.</summary>
    public static string HashPassword(string name, string password) => Hasher.HashPassword(new AdminUser(name), password);

    /// <summary>Hashes an API key for <c>VaultAI:Host:AdminApiKeyHashes</c> (lowercase hex SHA-256).</summary>
    public static string HashApiKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Creates a random API key.</summary>
    public static string NewApiKey() => "vaultai_admin_" + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>Creates a random password.</summary>
    public static string NewPassword() => Base64Url(RandomNumberGenerator.GetBytes(18));

    /// <summary>Whether the name and password match a configured administrator.</summary>
    public bool VerifyPassword(string name, string password)
    {
        var admins = options.CurrentValue.Admins;
        var hash = admins.TryGetValue(name, out var admin) && !string.IsNullOrEmpty(admin.PasswordHash) ? admin.PasswordHash : null;
        try
        {
            var result = Hasher.VerifyHashedPassword(new AdminUser(name), hash ?? DummyHash, password);
            return hash is not null && result != PasswordVerificationResult.Failed;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Whether the key matches one of the configured hashes; every hash is compared, in constant time.</summary>
    public bool VerifyApiKey(string key)
    {
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        var match = false;
        foreach (var configured in options.CurrentValue.AdminApiKeyHashes)
        {
            byte[] expected;
            try
            {
                expected = Convert.FromHexString(configured.Trim());
            }
            catch (FormatException)
            {
                continue;
            }

            match |= CryptographicOperations.FixedTimeEquals(presented, expected);
        }

        return match;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
