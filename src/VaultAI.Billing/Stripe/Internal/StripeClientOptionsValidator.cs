using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Stripe.Internal;

/// <summary>Validates <see cref="StripeClientOptions"/> at start with messages naming the setting to fix.</summary>
internal sealed class StripeClientOptionsValidator : IValidateOptions<StripeClientOptions>
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

        CheckBase(failures, nameof(options.ApiBase), options.ApiBase, "https://api.stripe.com");
        CheckBase(failures, nameof(options.MeterEventsBase), options.MeterEventsBase, "https://meter-events.stripe.com");
        if (options.MaxRetries is < 0 or > 10)
        {
            failures.Add($"{Prefix}MaxRetries must be between 0 and 10 (was {options.MaxRetries}).");
        }

        // Polly's timeout strategy accepts 10 ms to 24 h.
        if (options.Timeout < TimeSpan.FromMilliseconds(10) || options.Timeout > TimeSpan.FromHours(24))
        {
            failures.Add($"{Prefix}Timeout must be between 00:00:00.010 and 1.00:00:00 (was {options.Timeout}).");
        }

        CheckPositive(failures, nameof(options.InitialRetryDelay), options.InitialRetryDelay);
        CheckPositive(failures, nameof(options.MaxRetryDelay), options.MaxRetryDelay);
        if (options.MaxRetryAfter < TimeSpan.Zero)
        {
            failures.Add($"{Prefix}MaxRetryAfter must not be negative (was {options.MaxRetryAfter}).");
        }

        if (options.MaxRetryDelay < options.InitialRetryDelay)
        {
            failures.Add($"{Prefix}MaxRetryDelay must be at least {Prefix}InitialRetryDelay.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckBase(List<string> failures, string setting, Uri? value, string example)
    {
        if (value is null || !value.IsAbsoluteUri || (value.Scheme != Uri.UriSchemeHttps && value.Scheme != Uri.UriSchemeHttp)
            || !string.IsNullOrEmpty(value.Query) || !string.IsNullOrEmpty(value.Fragment))
        {
            // Stripe.net appends '/v1/...' to the base as text: a query or fragment would end up before the path.
            failures.Add($"{Prefix}{setting} must be an absolute http(s) URI without query, such as {example}.");
        }
    }

    private static void CheckPositive(List<string> failures, string setting, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}{setting} must be a positive time span (was {value}).");
        }
    }
}
