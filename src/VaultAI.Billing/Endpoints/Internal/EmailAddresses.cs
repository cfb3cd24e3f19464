namespace VaultAI.Billing.Endpoints.Internal;

/// <summary>
/// A plain rule for the e-mail addresses the API accepts: <c>local@domain.tld</c>, nothing else. Not RFC 5322's full
/// grammar on purpose: display names (<c>Ann &lt;ann@example.com&gt;</c>), comments, quoted local parts and address
/// literals are valid there but are never what an instance means, and Stripe would store them as given.
/// </summary>
internal static class EmailAddresses
{
    private const int MaxLength = 254; // RFC 5321's path limit less the angle brackets
    private const int MaxLocalPartLength = 64;
    private const string LocalPartSymbols = "!#$%&'*+-/=?^_`{|}~.";

    public static bool IsValid(string? address)
    {
        if (string.IsNullOrEmpty(address) || address.Length > MaxLength)
        {
            return false;
        }

        var at = address.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != address.LastIndexOf('@') || at > MaxLocalPartLength)
        {
            return false;
        }

        var local = address.AsSpan(0, at);
        var domain = address.AsSpan(at + 1);
        return IsLocalPart(local) && IsDomain(domain);
    }

    private static bool IsLocalPart(ReadOnlySpan<char> local)
    {
        if (local[0] == '.' || local[^1] == '.' || local.Contains("..", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in local)
        {
            // Letters and digits of any script (internationalised addresses), and RFC 5322's atom symbols.
            if (!char.IsLetterOrDigit(c) && !LocalPartSymbols.Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsDomain(ReadOnlySpan<char> domain)
    {
        // At least two labels (a dot), none empty, none starting or ending with '-', a top-level label not all digits.
        if (domain.Length is 0 or > 253 || domain.IndexOf('.') < 0)
        {
            return false;
        }

        var lastLabelAllDigits = false;
        foreach (var range in domain.Split('.'))
        {
            var label = domain[range];
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            lastLabelAllDigits = true;
            foreach (var c in label)
            {
                if (!char.IsLetterOrDigit(c) && c != '-')
                {
                    return false;
                }

                lastLabelAllDigits &= char.IsAsciiDigit(c);
            }
        }

        return !lastLabelAllDigits;
    }
}
