using System.Security.Cryptography;
using System.Text;

namespace VaultAI.Billing.Credentials.Internal;

/// <summary>Issues and checks per-organization instance tokens. Only hashes are stored.</summary>
internal static class InstanceTokens
{
    private const string Prefix = "vaultai_";

    /// <summary>A new random token: <c>vaultai_</c> followed by 32 random bytes, base64url.</summary>
    public static string NewToken()
    {
        Span<byte> bytes = stackalloc byte[32];
        RandomNumberGenerator.Fill(bytes);
        return Prefix + Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>SHA-256 of the token as lowercase hex. Enough for 256-bit random tokens: no dictionary to attack.</summary>
    public static string Hash(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Constant-time comparison of a presented token with a stored hash.</summary>
    public static bool Matches(string token, string storedHash)
    {
        var presented = Encoding.ASCII.GetBytes(Hash(token));
        var stored = Encoding.ASCII.GetBytes(storedHash);
        return CryptographicOperations.FixedTimeEquals(presented, stored);
    }

    /// <summary>A display prefix that identifies a token without revealing it.</summary>
    public static string DisplayPrefix(string token) => token[..Math.Min(token.Length, Prefix.Length + 4)];

    /// <summary>Creates the credential row for a freshly issued token.</summary>
    public static InstanceCredential NewCredential(Guid organizationId, string token, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        OrganizationId = organizationId,
        TokenHash = Hash(token),
        TokenPrefix = DisplayPrefix(token),
        CreatedAt = now,
    };

    /// <summary>Reads the bearer token of an <c>Authorization</c> header, or <see langword="null"/>.</summary>
    public static string? FromAuthorizationHeader(string? header)
    {
        if (string.IsNullOrWhiteSpace(header) || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header["Bearer ".Length..].Trim();
        return token.Length is > 0 and <= 512 ? token : null;
    }
}
