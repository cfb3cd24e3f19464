using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace VaultAI.Billing.Stripe;

/// <summary>The outcome of checking a <c>Stripe-Signature</c> header.</summary>
public enum StripeSignatureVerificationResult
{
    /// <summary>A <c>v1</c> signature matches one of the secrets and the timestamp is within tolerance.</summary>
    Valid,

    /// <summary>No header was sent.</summary>
    MissingHeader,

    /// <summary>The header has no usable <c>t=</c> timestamp or is not a list of <c>key=value</c> pairs.</summary>
    MalformedHeader,

    /// <summary>The header carries no <c>v1</c> signature (other schemes such as <c>v0</c> are ignored).</summary>
    NoV1Signature,

    /// <summary>No <c>v1</c> signature matches any secret: the body or the secret is not the one signed.</summary>
    SignatureMismatch,

    /// <summary>The signature matches but its timestamp is further from now than the tolerance (either way).</summary>
    TimestampOutsideTolerance,
}

/// <summary>
/// Verifies and produces Stripe webhook signatures: HMAC-SHA256 over <c>"{t}.{raw body}"</c>, keyed with the whole
/// endpoint secret (including <c>whsec_</c>) as UTF-8, hex encoded.
/// </summary>
public static class StripeWebhookSignature
{
    /// <summary>The tolerance Stripe's libraries use by default.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Checks a <c>Stripe-Signature</c> header against the raw request body. Pass the body exactly as received:
    /// re-serialised JSON does not verify.
    /// </summary>
    /// <param name="payload">The raw body bytes.</param>
    /// <param name="signatureHeader">The <c>Stripe-Signature</c> header value.</param>
    /// <param name="secrets">The endpoint secrets in force (two while rotating); any one may match.</param>
    /// <param name="now">The current time, from a <see cref="TimeProvider"/>.</param>
    /// <param name="tolerance">The largest accepted distance between the signed timestamp and <paramref name="now"/>.</param>
    /// <returns>The outcome; only <see cref="StripeSignatureVerificationResult.Valid"/> means the body is authentic.</returns>
    public static StripeSignatureVerificationResult Verify(
        ReadOnlySpan<byte> payload, string? signatureHeader, IReadOnlyList<string> secrets, DateTimeOffset now, TimeSpan tolerance)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (string.IsNullOrWhiteSpace(signatureHeader))
        {
            return StripeSignatureVerificationResult.MissingHeader;
        }

        long? timestamp = null;
        var signatures = new List<byte[]>();
        foreach (var part in signatureHeader.Split(','))
        {
            var separator = part.IndexOf('=', StringComparison.Ordinal);
            if (separator <= 0)
            {
                return StripeSignatureVerificationResult.MalformedHeader;
            }

            var key = part[..separator].Trim();
            var value = part[(separator + 1)..].Trim();
            if (key == "t")
            {
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                {
                    return StripeSignatureVerificationResult.MalformedHeader;
                }

                timestamp = parsed;
            }
            else if (key == "v1" && TryFromHex(value, out var signature))
            {
                signatures.Add(signature);
            }
        }

        if (timestamp is null)
        {
            return StripeSignatureVerificationResult.MalformedHeader;
        }

        if (signatures.Count == 0)
        {
            return StripeSignatureVerificationResult.NoV1Signature;
        }

        var matched = false;
        foreach (var secret in secrets)
        {
            if (string.IsNullOrEmpty(secret))
            {
                continue;
            }

            var expected = Compute(payload, secret, timestamp.Value);
            foreach (var signature in signatures)
            {
                // Keep comparing after a match so the time taken does not depend on which one matched.
                matched |= CryptographicOperations.FixedTimeEquals(expected, signature);
            }
        }

        if (!matched)
        {
            return StripeSignatureVerificationResult.SignatureMismatch;
        }

        var signedAt = DateTimeOffset.FromUnixTimeSeconds(timestamp.Value);
        return (now - signedAt).Duration() > tolerance
            ? StripeSignatureVerificationResult.TimestampOutsideTolerance
            : StripeSignatureVerificationResult.Valid;
    }

    /// <summary>Produces a <c>Stripe-Signature</c> header (<c>t=...,v1=...</c>) as Stripe would send it; for tests and emulators.</summary>
    /// <param name="payload">The raw body bytes.</param>
    /// <param name="secret">The endpoint secret, including <c>whsec_</c>.</param>
    /// <param name="timestamp">The signing time.</param>
    /// <returns>The header value.</returns>
    public static string GenerateHeader(ReadOnlySpan<byte> payload, string secret, DateTimeOffset timestamp)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var seconds = timestamp.ToUnixTimeSeconds();
        return "t=" + seconds.ToString(CultureInfo.InvariantCulture) + ",v1=" + Convert.ToHexStringLower(Compute(payload, secret, seconds));
    }

    private static byte[] Compute(ReadOnlySpan<byte> payload, string secret, long timestamp)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + payload.Length];
        prefix.CopyTo(signed, 0);
        payload.CopyTo(signed.AsSpan(prefix.Length));
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
    }

    private static bool TryFromHex(string value, out byte[] bytes)
    {
        bytes = [];
        if (value.Length != 64)
        {
            return false;
        }

        try
        {
            bytes = Convert.FromHexString(value);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
