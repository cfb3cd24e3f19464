namespace VaultAI.Billing.Subscriptions.Internal;

/// <summary>Checks <c>VaultAI:Billing:Reconciliation</c> at start (called by the options validator), naming the key to fix.</summary>
internal static class ReconciliationOptionsValidator
{
    private const string S = "VaultAI:Billing:Reconciliation";

    public static IEnumerable<string> Errors(ReconciliationOptions? settings)
    {
        if (settings is null)
        {
            yield return $"{S} must not be null.";
            yield break;
        }

        if (settings.Interval < TimeSpan.FromMinutes(1) || settings.Interval > TimeSpan.FromDays(7))
        {
            yield return $"{S}:Interval must be between 00:01:00 and 7.00:00:00 (for example 1.00:00:00 for daily).";
        }

        if (settings.InitialDelay < TimeSpan.Zero || settings.InitialDelay > TimeSpan.FromDays(1))
        {
            yield return $"{S}:InitialDelay must be between 00:00:00 and 1.00:00:00.";
        }

        if (settings.PageSize is < 1 or > 100)
        {
            yield return $"{S}:PageSize must be between 1 and 100.";
        }

        if (settings.MaxRequestsPerSecond is < 1 or > 100)
        {
            yield return $"{S}:MaxRequestsPerSecond must be between 1 and 100.";
        }

        if (settings.SeatsInterval < TimeSpan.FromSeconds(10) || settings.SeatsInterval > TimeSpan.FromDays(1))
        {
            yield return $"{S}:SeatsInterval must be between 00:00:10 and 1.00:00:00.";
        }
    }
}
