using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Client;

/// <summary>Cross-field rules of <see cref="VaultAIBillingClientOptions"/>, with messages naming the setting to fix.</summary>
internal sealed partial class VaultAIBillingClientOptionsValidator(IServiceProviderIsService isService) : IValidateOptions<VaultAIBillingClientOptions>
{
    private const string Prefix = VaultAIBillingClientOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, VaultAIBillingClientOptions options)
    {
        var failures = new List<string>();
        if (options.BaseAddress is { } address)
        {
            var acceptable = address.IsAbsoluteUri
                && (address.Scheme == Uri.UriSchemeHttps || (address.Scheme == Uri.UriSchemeHttp && address.IsLoopback));
            if (!acceptable)
            {
                failures.Add($"{Prefix}BaseAddress must be an absolute https URL of the billing host (plain http is accepted only for a loopback host such as http://127.0.0.1:5000); got '{address.OriginalString}'.");
            }
        }

        if (!isService.IsService(typeof(IOrganizationInfoProvider)))
        {
            const string Hint = " (or register an IOrganizationInfoProvider that supplies the organization's identity).";
            if (options.OrganizationId is null || options.OrganizationId == Guid.Empty)
            {
                failures.Add($"{Prefix}OrganizationId is required: set it to this instance's organization UUID, which must never change" + Hint);
            }

            if (string.IsNullOrWhiteSpace(options.OrganizationName))
            {
                failures.Add($"{Prefix}OrganizationName is required: set it to the organization's display name" + Hint);
            }

            if (string.IsNullOrWhiteSpace(options.InstanceUrl))
            {
                failures.Add($"{Prefix}InstanceUrl is required: set it to this instance's public URL or host name" + Hint);
            }
        }
        else if (options.OrganizationId == Guid.Empty)
        {
            failures.Add($"{Prefix}OrganizationId must not be the empty UUID.");
        }

        if (options.MaxRandomDelay < TimeSpan.Zero || options.MaxRandomDelay > TimeSpan.FromHours(12))
        {
            failures.Add($"{Prefix}MaxRandomDelay must be between 00:00:00 and 12:00:00; got {options.MaxRandomDelay}.");
        }

        // 10 ms is the shortest timeout the resilience handler accepts; below it the first call would fail instead of the start.
        if (options.RequestTimeout < TimeSpan.FromMilliseconds(10) || options.RequestTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{Prefix}RequestTimeout must be between 00:00:00.010 and 00:10:00; got {options.RequestTimeout}.");
        }

        if (options.StatusCacheLifetime < TimeSpan.Zero)
        {
            failures.Add($"{Prefix}StatusCacheLifetime must not be negative; got {options.StatusCacheLifetime}.");
        }

        if (options.UsageBatchSize is < 1 or > 1000)
        {
            failures.Add($"{Prefix}UsageBatchSize must be between 1 and 1000 (the billing host accepts at most 1,000 events per request); got {options.UsageBatchSize}.");
        }

        if (options.UsageFlushInterval < TimeSpan.FromSeconds(1) || options.UsageFlushInterval > TimeSpan.FromDays(1))
        {
            failures.Add($"{Prefix}UsageFlushInterval must be between 00:00:01 and 1.00:00:00; got {options.UsageFlushInterval}.");
        }

        if (options.UsageCacheLifetime < TimeSpan.Zero)
        {
            failures.Add($"{Prefix}UsageCacheLifetime must not be negative; got {options.UsageCacheLifetime}.");
        }

        if (string.IsNullOrWhiteSpace(options.Metric) || !MetricPattern().IsMatch(options.Metric))
        {
            failures.Add($"{Prefix}Metric must be 1 to 64 lowercase letters, digits, '_', '.' or '-' starting with a letter or digit (for example active_users); got '{options.Metric}'.");
        }

        if (string.IsNullOrWhiteSpace(options.SpoolDirectory))
        {
            failures.Add($"{Prefix}SpoolDirectory is required: no local application data folder was found, so set it to a durable folder the instance can write to.");
        }

        if (options.EnrollmentKey is { } key && (key.Length == 0 || key.Any(char.IsControl)))
        {
            failures.Add($"{Prefix}EnrollmentKey must be a non-empty printable string when set.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_.-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex MetricPattern();
}
