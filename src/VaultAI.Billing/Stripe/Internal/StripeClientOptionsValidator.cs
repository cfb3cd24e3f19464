using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Stripe.Internal;

/// <summary>Validates <see cref="StripeClientOptions"/> at start with messages naming the setting to fix.</summary>
internal sealed partial class StripeClientOptionsValidator : IValidateOptions<StripeClientOptions>
{
    private const string Prefix = StripeClientOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, StripeClientOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ApiKey) ||
            !(options.ApiKey.StartsWith("sk_", StringComparison.Ordinal) || options.ApiKey.StartsWith("rk_", StringComparison.Ordinal)) ||
            options.ApiKey.Any(char.IsWhiteSpace))
        {
            failures.Add($"{Prefix}ApiKey must be set to a Stripe secret key (sk_... or rk_...).");
        }

        CheckBase(failures, nameof(options.ApiBase), options.ApiBase);
        CheckBase(failures, nameof(options.MeterEventsApiBase), options.MeterEventsApiBase);
        if (string.IsNullOrEmpty(options.ApiVersion) || !ApiVersionFormat().IsMatch(options.ApiVersion))
        {
            failures.Add($"{Prefix}ApiVersion must be a Stripe API version such as 2026-10-28.endive (YYYY-MM-DD, optionally .name).");
        }

        if (options.MaxRetries is < 0 or > 10)
        {
            failures.Add($"{Prefix}MaxRetries must be between 0 and 10 (was {options.MaxRetries}).");
        }

        CheckPositive(failures, nameof(options.Timeout), options.Timeout);
        CheckPositive(failures, nameof(options.InitialRetryDelay), options.InitialRetryDelay);
        CheckPositive(failures, nameof(options.MaxRetryDelay), options.MaxRetryDelay);
        if (options.MaxRetryAfter < TimeSpan.Zero)
        {
            failures.Add($"{Prefix}MaxRetryAfter must not be negative.");
        }

        if (options.MaxRetryDelay < options.InitialRetryDelay)
        {
            failures.Add($"{Prefix}MaxRetryDelay must be at least {Prefix}InitialRetryDelay.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckBase(List<string> failures, string setting, Uri? value)
    {
        if (value is null || !value.IsAbsoluteUri || (value.Scheme != Uri.UriSchemeHttps && value.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"{Prefix}{setting} must be an absolute http(s) URI such as https://api.stripe.com.");
        }
    }

    private static void CheckPositive(List<string> failures, string setting, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}{setting} must be a positive time span (was {value}).");
        }
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(\.[a-z][a-z0-9_]*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex ApiVersionFormat();
}
