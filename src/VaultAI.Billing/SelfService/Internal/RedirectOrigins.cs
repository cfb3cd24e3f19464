namespace VaultAI.Billing.SelfService.Internal;

/// <summary>Checks redirect URLs against <see cref="VaultAIBillingOptions.AllowedRedirectOrigins"/>: no open redirect.</summary>
internal static class RedirectOrigins
{
    private const string Key = VaultAIBillingOptions.SectionName + ":AllowedRedirectOrigins";

    /// <summary>The configuration errors of the list, for the options validator.</summary>
    public static IEnumerable<string> Errors(IList<string>? origins)
    {
        foreach (var origin in origins ?? [])
        {
            if (Parse(origin) is null)
            {
                yield return $"{Key} entries must be origins such as https://app.example.com (scheme, host and optional port; no path, query or fragment); '{origin}' is not.";
            }
        }
    }

    /// <summary>Returns the URL when it is an absolute http(s) URL whose origin is allowed; throws 400 naming the field otherwise.</summary>
    public static string Require(string? value, string field, IList<string> allowed)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 2000 || !Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            throw BillingException.Invalid(field, $"'{field}' must be an absolute http(s) URL.");
        }

        var origin = Origin(uri);
        if (!allowed.Any(a => Parse(a) is { } ok && string.Equals(ok, origin, StringComparison.OrdinalIgnoreCase)))
        {
            throw BillingException.Invalid(
                field,
                allowed.Count == 0
                    ? $"'{field}' is refused: no redirect origin is allowed ({Key} is empty)."
                    : $"'{field}' must lie within the allowed origins ({string.Join(", ", allowed)}).",
                "redirect_not_allowed");
        }

        return value;
    }

    private static string? Parse(string? origin)
    {
        if (string.IsNullOrWhiteSpace(origin) || !Uri.TryCreate(origin.Trim(), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || !string.IsNullOrEmpty(uri.UserInfo))
        {
            return null;
        }

        return Origin(uri);
    }

    private static string Origin(Uri uri) => uri.GetLeftPart(UriPartial.Authority).TrimEnd('/');
}
