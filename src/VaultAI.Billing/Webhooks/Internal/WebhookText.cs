using System.Globalization;
using System.Text;

namespace VaultAI.Billing.Webhooks.Internal;

/// <summary>
/// Makes a value read from a webhook safe for a log line or a stored note: control and format characters
/// (NUL, CR, LF, ESC, bidi overrides...) and lone surrogates are escaped as <c>\uXXXX</c>, and the result is capped.
/// A signed webhook is still input: its fields must not forge log lines or break a database column.
/// </summary>
internal static class WebhookText
{
    /// <summary>The longest value written to a log line, in characters (before escaping).</summary>
    public const int MaxLogLength = 200;

    /// <summary>The escaped, capped form of <paramref name="value"/>; <c>(none)</c> for <see langword="null"/>.</summary>
    public static string Safe(string? value, int maxLength = MaxLogLength)
    {
        if (value is null)
        {
            return "(none)";
        }

        var truncated = value.Length > maxLength;
        var text = truncated ? value[..maxLength] : value;
        if (!truncated && IsClean(text))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (IsUnsafe(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        if (truncated)
        {
            builder.Append("...(").Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(" chars)");
        }

        return builder.ToString();
    }

    /// <summary>Whether <paramref name="value"/> has no character <see cref="Safe"/> would escape.</summary>
    public static bool IsClean(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (IsUnsafe(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsUnsafe(char c) =>
        char.IsControl(c) || char.IsSurrogate(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
