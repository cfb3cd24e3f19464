using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Subscriptions.Internal;

/// <summary>Checks <c>VaultAI:Billing:Reconciliation</c> at start, naming the key to fix.</summary>
internal sealed class ReconciliationOptionsValidator : IValidateOptions<VaultAIBillingOptions>
{
    private const string S = "VaultAI:Billing:Reconciliation";

    public ValidateOptionsResult Validate(string? name, VaultAIBillingOptions options)
    {
        var settings = options.Reconciliation;
        if (settings is null)
        {
            return ValidateOptionsResult.Fail($"{S} must not be null.");
        }

        var errors = new List<string>();
        if (settings.Interval < TimeSpan.FromMinutes(1) || settings.Interval > TimeSpan.FromDays(7))
        {
            errors.Add($"{S}:Interval must be between 00:01:00 and 7.00:00:00 (for example 1.00:00:00 for daily).");
        }

        if (settings.InitialDelay < TimeSpan.Zero || settings.InitialDelay > TimeSpan.FromDays(1))
        {
            errors.Add($"{S}:InitialDelay must be between 00:00:00 and 1.00:00:00.");
        }

        if (settings.PageSize is < 1 or > 100)
        {
            errors.Add($"{S}:PageSize must be between 1 and 100.");
        }

        if (settings.MaxRequestsPerSecond is < 1 or > 100)
        {
            errors.Add($"{S}:MaxRequestsPerSecond must be between 1 and 100.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
