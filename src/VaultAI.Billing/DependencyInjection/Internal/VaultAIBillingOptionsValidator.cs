using Microsoft.Extensions.Options;
using VaultAI.Billing.Plans.Internal;

namespace VaultAI.Billing.DependencyInjection.Internal;

/// <summary>Checks the options at start, with messages that name the setting to fix.</summary>
internal sealed class VaultAIBillingOptionsValidator : IValidateOptions<VaultAIBillingOptions>
{
    private const string S = VaultAIBillingOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, VaultAIBillingOptions options)
    {
        var errors = new List<string>();
        if (options.Plans.Count == 0)
        {
            errors.Add($"{S}:Plans must define at least one plan (for example {S}:Plans:self-hosted:MonthlyPriceId=price_..., or a free plan with only a DisplayName).");
        }

        foreach (var (key, plan) in options.Plans)
        {
            PlanCatalogValidator.Validate(key, plan, options.Metrics, errors);
        }

        if (string.IsNullOrWhiteSpace(options.ReportMetric))
        {
            errors.Add($"{S}:ReportMetric must be set (for example active_users).");
        }
        else if (!options.Metrics.ContainsKey(options.ReportMetric))
        {
            errors.Add($"{S}:ReportMetric '{options.ReportMetric}' must be a key of {S}:Metrics (add {S}:Metrics:{options.ReportMetric}:Aggregation=Last).");
        }

        MetricCatalogValidator.Validate(options.Metrics, errors);
        if (options.UsageEvents.MaxEventsPerBatch is < 1 or > 10_000)
        {
            errors.Add($"{S}:UsageEvents:MaxEventsPerBatch must be between 1 and 10000.");
        }

        if (options.UsageEvents.MaxRequestBodyBytes is < 1024 or > 64 * 1024 * 1024)
        {
            errors.Add($"{S}:UsageEvents:MaxRequestBodyBytes must be between 1024 and 67108864.");
        }

        if (options.UsageEvents.MaxConcurrentRequests is < 0 or > 1024)
        {
            errors.Add($"{S}:UsageEvents:MaxConcurrentRequests must be between 0 (twice the processor count) and 1024.");
        }

        if (options.DefaultTrialDays is < 0 or > 730)
        {
            errors.Add($"{S}:DefaultTrialDays must be between 0 and 730.");
        }

        if (options.LinkingMode == LinkingMode.Automatic && (options.AutomaticPlan is null || !options.Plans.ContainsKey(options.AutomaticPlan)))
        {
            errors.Add($"{S}:AutomaticPlan must name a plan of {S}:Plans when {S}:LinkingMode is Automatic.");
        }

        if (options.MaxUserCount <= 0)
        {
            errors.Add($"{S}:MaxUserCount must be positive.");
        }

        if (options.MaxRequestBodyBytes is < 1024 or > 16 * 1024 * 1024)
        {
            errors.Add($"{S}:MaxRequestBodyBytes must be between 1024 and 16777216.");
        }

        var d = options.Dispatcher;
        if (d.BatchSize is < 1 or > 1000)
        {
            errors.Add($"{S}:Dispatcher:BatchSize must be between 1 and 1000.");
        }

        var stripeLimit = d.Transport == MeterEventTransport.V2Stream ? DispatcherOptions.StripeV2Limit : DispatcherOptions.StripeV1Limit;
        if (d.MaxRequestsPerSecond is { } perSecond && (perSecond < 1 || perSecond > stripeLimit))
        {
            errors.Add($"{S}:Dispatcher:MaxRequestsPerSecond must be between 1 and {stripeLimit} for transport {d.Transport} " +
                "(Stripe's documented limit; it is shared by every dispatcher on the database), or left unset for 90 % of it.");
        }

        if (d.Concurrency is < 1 or > 64)
        {
            errors.Add($"{S}:Dispatcher:Concurrency must be between 1 and 64.");
        }

        if (d.LeaseDuration < TimeSpan.FromSeconds(5))
        {
            errors.Add($"{S}:Dispatcher:LeaseDuration must be at least 5 seconds.");
        }

        if (d.RetryBaseDelay <= TimeSpan.Zero || d.RetryMaxDelay < d.RetryBaseDelay)
        {
            errors.Add($"{S}:Dispatcher:RetryBaseDelay must be positive and at most RetryMaxDelay.");
        }

        foreach (var secret in options.Webhooks.Secrets)
        {
            if (string.IsNullOrWhiteSpace(secret) || !secret.StartsWith("whsec_", StringComparison.Ordinal))
            {
                errors.Add($"{S}:Webhooks:Secrets entries must be Stripe webhook signing secrets (whsec_...).");
            }
        }

        if (options.Webhooks.MaxAttempts is < 1 or > 100)
        {
            errors.Add($"{S}:Webhooks:MaxAttempts must be between 1 and 100.");
        }

        // Windows are aligned to the Unix epoch, so a window must divide a day evenly; an hour or less keeps corrections rare.
        if (options.Metering.RollupWindow < TimeSpan.FromMinutes(1) || options.Metering.RollupWindow > TimeSpan.FromDays(1)
            || TimeSpan.FromDays(1).Ticks % options.Metering.RollupWindow.Ticks != 0)
        {
            errors.Add($"{S}:Metering:RollupWindow must be between 00:01:00 and 1.00:00:00 and divide a day evenly (for example 01:00:00).");
        }

        if (options.Metering.RollupGrace < TimeSpan.Zero || options.Metering.RollupGrace > TimeSpan.FromDays(1))
        {
            errors.Add($"{S}:Metering:RollupGrace must be between 00:00:00 and 1.00:00:00.");
        }

        if (options.Webhooks.Tolerance <= TimeSpan.Zero)
        {
            errors.Add($"{S}:Webhooks:Tolerance must be positive.");
        }

        if (string.IsNullOrWhiteSpace(options.AdminPolicy))
        {
            errors.Add($"{S}:AdminPolicy must name an authorization policy.");
        }

        errors.AddRange(SelfService.Internal.RedirectOrigins.Errors(options.AllowedRedirectOrigins));
        errors.AddRange(Subscriptions.Internal.ReconciliationOptionsValidator.Errors(options.Reconciliation));
        errors.AddRange(Credentials.Internal.CredentialOptionsValidator.Errors(options.Credentials));
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
