using VaultAI.Billing.Metering;

namespace VaultAI.Billing.DependencyInjection.Internal;

/// <summary>Checks <c>VaultAI:Billing:Metrics</c>, each message naming the key to fix.</summary>
internal static class MetricCatalogValidator
{
    public const int MaxKeyLength = 64;
    public const int MaxDecimals = 6;
    private const string S = VaultAIBillingOptions.SectionName + ":Metrics";

    public static void Validate(IDictionary<string, MetricDefinition> metrics, List<string> errors)
    {
        foreach (var (key, metric) in metrics)
        {
            if (!IsValidKey(key))
            {
                errors.Add($"{S}:{key} is not a valid metric key: use 1 to {MaxKeyLength} letters, digits, '_', '-' or '.' (for example storage_gb).");
                continue;
            }

            if (metric is null)
            {
                errors.Add($"{S}:{key} must define the metric (for example {S}:{key}:Aggregation=Sum).");
                continue;
            }

            if (!Enum.IsDefined(metric.Aggregation))
            {
                errors.Add($"{S}:{key}:Aggregation must be Sum, Count, Last or Max.");
            }

            if (metric.Decimals is < 0 or > MaxDecimals)
            {
                errors.Add($"{S}:{key}:Decimals must be between 0 and {MaxDecimals} (decimal places a quantity may carry); it is {metric.Decimals}.");
            }

            if (metric.MeterEventName is { } name && (name.Length is 0 or > 100 || name.Any(char.IsWhiteSpace)))
            {
                errors.Add($"{S}:{key}:MeterEventName must be a Stripe meter event_name of 1 to 100 characters without spaces, or unset for a metric that is only tracked.");
            }

            if (metric.DisplayName.Length > 200 || metric.Unit.Length > 32)
            {
                errors.Add($"{S}:{key}:DisplayName must be at most 200 characters and {S}:{key}:Unit at most 32.");
            }
        }
    }

    public static bool IsValidKey(string key) =>
        key.Length is > 0 and <= MaxKeyLength && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');
}
