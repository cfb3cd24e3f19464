using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace VaultAI.Billing.Testing;

/// <summary>
/// Stripe's webhook signature scheme, written independently of any Stripe client: HMAC-SHA256 over
/// <c>"{t}.{raw body}"</c> keyed with the whole secret string (including <c>whsec_</c>) as UTF-8,
/// sent as <c>Stripe-Signature: t=&lt;unix&gt;,v1=&lt;lowercase hex&gt;</c>.
/// </summary>
public static class StripeWebhookSignature
{
    /// <summary>Computes the lowercase hex <c>v1</c> signature.</summary>
    /// <param name="secret">The endpoint secret, e.g. <c>whsec_...</c>.</param>
    /// <param name="timestamp">The unix time in seconds put in <c>t=</c>.</param>
    /// <param name="payload">The raw body bytes.</param>
    /// <returns>The signature as 64 lowercase hex characters.</returns>
    public static string ComputeSignature(string secret, long timestamp, ReadOnlySpan<byte> payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + payload.Length];
        prefix.CopyTo(signed, 0);
        payload.CopyTo(signed.AsSpan(prefix.Length));
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    /// <summary>Builds a <c>Stripe-Signature</c> header value.</summary>
    /// <param name="secret">The endpoint secret.</param>
    /// <param name="timestamp">The unix time in seconds.</param>
    /// <param name="payload">The raw body bytes.</param>
    /// <returns>The header value <c>t=...,v1=...</c>.</returns>
    public static string CreateHeader(string secret, long timestamp, ReadOnlySpan<byte> payload) =>
        string.Create(CultureInfo.InvariantCulture, $"t={timestamp},v1={ComputeSignature(secret, timestamp, payload)}");

    /// <summary>
    /// Checks a <c>Stripe-Signature</c> header: any <c>v1</c> entry must match (constant-time) and
    /// <c>t</c> must be within <paramref name="tolerance"/> of <paramref name="now"/> (past or future).
    /// </summary>
    /// <param name="header">The header value.</param>
    /// <param name="payload">The raw body bytes, exactly as received.</param>
    /// <param name="secret">The endpoint secret.</param>
    /// <param name="now">The verifier's current time.</param>
    /// <param name="tolerance">The allowed clock distance; Stripe's libraries use 300 seconds.</param>
    /// <returns>Whether the signature is valid.</returns>
    public static bool IsValid(string? header, ReadOnlySpan<byte> payload, string secret, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrEmpty(header))
        {
            return false;
        }

        long? timestamp = null;
        var candidates = new List<string>();
        foreach (var part in header.Split(','))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            var key = part[..eq].Trim();
            var value = part[(eq + 1)..].Trim();
            if (key == "t" && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t))
            {
                timestamp = t;
            }
            else if (key == "v1")
            {
                candidates.Add(value);
            }
        }

        if (timestamp is not { } ts || candidates.Count == 0 ||
            Math.Abs(now.ToUnixTimeSeconds() - ts) > (long)tolerance.TotalSeconds)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(ComputeSignature(secret, ts, payload));
        var valid = false;
        foreach (var candidate in candidates)
        {
            valid |= CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(candidate));
        }

        return valid;
    }
}
