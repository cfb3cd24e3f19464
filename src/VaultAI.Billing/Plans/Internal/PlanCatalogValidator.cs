using VaultAI.Billing.Metering;

namespace VaultAI.Billing.Plans.Internal;

/// <summary>Checks one plan of <c>VaultAI:Billing:Plans</c> at start, each message naming the key to fix.</summary>
internal static class PlanCatalogValidator
{
    private const string S = VaultAIBillingOptions.SectionName + ":Plans";

    public static void Validate(string key, BillingPlan? plan, IDictionary<string, MetricDefinition> metrics, List<string> errors)
    {
        var p = $"{S}:{key}";
        if (plan is null)
        {
            errors.Add($"{p} must define the plan (for example {p}:DisplayName=Pro).");
            return;
        }

        if (string.IsNullOrEmpty(plan.MonthlyPriceId) && !string.IsNullOrEmpty(plan.YearlyPriceId))
        {
            errors.Add($"{p}:MonthlyPriceId must be set when {p}:YearlyPriceId is (a plan is always offered monthly); run 'setup-stripe' to create it.");
        }

        // An amount without its price would make a paid plan look free: the catalog says what Stripe must bill.
        if ((plan.MonthlyAmount > 0 || plan.MonthlyUnitAmount > 0) && string.IsNullOrWhiteSpace(plan.MonthlyPriceId))
        {
            errors.Add($"{p}:MonthlyPriceId must be set to a Stripe price id (price_...) since the plan has a monthly amount; run 'setup-stripe' to create it.");
        }

        if ((plan.YearlyAmount > 0 || plan.YearlyUnitAmount > 0) && string.IsNullOrWhiteSpace(plan.YearlyPriceId))
        {
            errors.Add($"{p}:YearlyPriceId must be set to a Stripe price id (price_...) since the plan has a yearly amount; run 'setup-stripe' to create it.");
        }

        if (plan.MonthlyAmount < 0 || plan.YearlyAmount < 0 || plan.MonthlyUnitAmount < 0 || plan.YearlyUnitAmount < 0)
        {
            errors.Add($"{p}:MonthlyAmount, YearlyAmount, MonthlyUnitAmount and YearlyUnitAmount must be 0 or more (minor units, for example 4900 for 49.00).");
        }

        if (plan.LicensedQuantity is < 1)
        {
            errors.Add($"{p}:LicensedQuantity must be at least 1, or unset for a metered base price.");
        }

        if (string.IsNullOrWhiteSpace(plan.Currency) || plan.Currency.Length != 3 || !plan.Currency.All(char.IsAsciiLetter))
        {
            errors.Add($"{p}:Currency must be a three-letter ISO currency code such as eur.");
        }

        if (plan.TrialDays is < 0 or > 730)
        {
            errors.Add($"{p}:TrialDays must be between 0 and 730.");
        }

        if (plan.GraceDays is < 0 or > 365)
        {
            errors.Add($"{p}:GraceDays must be between 0 and 365.");
        }

        for (var i = 0; i < plan.Metered.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(plan.Metered[i].Metric) || string.IsNullOrWhiteSpace(plan.Metered[i].MeterEventName))
            {
                errors.Add($"{p}:Metered:{i} needs both Metric and MeterEventName.");
            }
        }

        // Stripe bills every item of a subscription on one interval, so a yearly plan needs yearly overage prices too.
        var yearly = !string.IsNullOrEmpty(plan.YearlyPriceId);
        foreach (var (metric, m) in plan.Metrics)
        {
            var mp = $"{p}:Metrics:{metric}";
            if (m is null)
            {
                errors.Add($"{mp} must define the metric's terms (for example {mp}:Limit=1000).");
                continue;
            }

            if (!metrics.ContainsKey(metric))
            {
                errors.Add($"{mp} names no metric of {VaultAIBillingOptions.SectionName}:Metrics (add {VaultAIBillingOptions.SectionName}:Metrics:{metric}:Aggregation=Sum).");
            }

            if (m.Included < 0)
            {
                errors.Add($"{mp}:Included must be 0 or more.");
            }

            if (m.Limit is { } limit && limit < 0 && limit != -1)
            {
                errors.Add($"{mp}:Limit must be 0 or more, or -1 (or unset) for unlimited.");
            }

            if (m.OverageUnitAmount > 0 && string.IsNullOrWhiteSpace(m.OveragePriceId))
            {
                errors.Add($"{mp}:OveragePriceId must be set to a metered Stripe price id (price_...) since the metric has an overage amount; run 'setup-stripe' to create it.");
            }

            if (m.OverageUnitAmount < 0)
            {
                errors.Add($"{mp}:OverageUnitAmount must be 0 or more (minor units per unit).");
            }

            if (yearly && !string.IsNullOrEmpty(m.OveragePriceId) && string.IsNullOrEmpty(m.YearlyOveragePriceId))
            {
                errors.Add($"{mp}:YearlyOveragePriceId must be set because the plan has a yearly price (all items of a subscription share its interval).");
            }

            if (!string.IsNullOrEmpty(m.YearlyOveragePriceId) && !plan.HasYearly)
            {
                errors.Add($"{mp}:YearlyOveragePriceId is set but the plan has no yearly base price ({p}:YearlyPriceId).");
            }
        }

        if (plan.Seats is { } seats)
        {
            if (string.IsNullOrWhiteSpace(seats.PriceId))
            {
                errors.Add($"{p}:Seats:PriceId must be set to a licensed Stripe price (price_...); run 'setup-stripe' to create it.");
            }

            if (yearly && string.IsNullOrEmpty(seats.YearlyPriceId))
            {
                errors.Add($"{p}:Seats:YearlyPriceId must be set because the plan has a yearly price.");
            }

            if (seats.Quantity < 1)
            {
                errors.Add($"{p}:Seats:Quantity must be at least 1.");
            }

            if (seats.ProrationBehavior is not ("create_prorations" or "none" or "always_invoice"))
            {
                errors.Add($"{p}:Seats:ProrationBehavior must be 'create_prorations', 'none' or 'always_invoice'.");
            }

            if (seats.Metric is { } seatMetric && (!metrics.TryGetValue(seatMetric, out var definition) || definition.Aggregation != MetricAggregation.Last))
            {
                errors.Add($"{p}:Seats:Metric must name a metric of {VaultAIBillingOptions.SectionName}:Metrics with Aggregation=Last.");
            }
        }

        foreach (var feature in plan.Features)
        {
            if (string.IsNullOrWhiteSpace(feature))
            {
                errors.Add($"{p}:Features entries must not be empty.");
                break;
            }
        }
    }
}
