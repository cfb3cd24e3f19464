using Stripe;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Plans.Internal;

/// <summary>Computes the <see cref="RevenueSummary"/> from the organizations and their mirrored invoices.</summary>
internal static class RevenueCalculator
{
    private const int Batch = 1000;

    /// <summary>How many of an organization's newest invoices are searched for its last paid or open one.</summary>
    private const int InvoicesSearched = 10;

    public static async Task<RevenueSummary> ComputeAsync(IBillingStore store, IDictionary<string, BillingPlan> plans, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<string, PlanRevenue>(StringComparer.Ordinal);
        foreach (var key in plans.Keys.Order(StringComparer.Ordinal))
        {
            rows[key] = new PlanRevenue(key, plans[key].DisplayName, plans[key].Currency.ToLowerInvariant(), 0, 0, 0, 0, 0);
        }

        for (var skip = 0; ; skip += Batch)
        {
            var page = await store.ListOrganizationsAsync(new OrganizationQuery(Skip: skip, Take: Batch), cancellationToken).ConfigureAwait(false);
            foreach (var org in page.Items)
            {
                if (org.PlanKey is null || !plans.TryGetValue(org.PlanKey, out var plan) || org.Status is not (OrganizationStatus.Active or OrganizationStatus.PastDue or OrganizationStatus.Trial))
                {
                    continue;
                }

                var recurring = MonthlyAmount(plan, org);
                var row = rows[org.PlanKey];
                if (org.Status == OrganizationStatus.Trial)
                {
                    rows[org.PlanKey] = row with { TrialOrganizations = row.TrialOrganizations + 1, PotentialMrr = row.PotentialMrr + recurring };
                    continue;
                }

                var overage = HasOverage(plan) ? await LastOverageAsync(store, org.Id, cancellationToken).ConfigureAwait(false) : 0;
                rows[org.PlanKey] = row with { Organizations = row.Organizations + 1, Mrr = row.Mrr + recurring + overage, Overage = row.Overage + overage };
            }

            if (page.Items.Count < Batch)
            {
                break;
            }
        }

        var list = rows.Values.ToList();
        var totals = list.GroupBy(r => r.Currency, StringComparer.Ordinal)
            .Select(g => new CurrencyRevenue(g.Key, g.Sum(r => r.Mrr), g.Sum(r => r.PotentialMrr)))
            .ToList();
        return new RevenueSummary(totals, list);
    }

    /// <summary>
    /// What one organization pays a month for its subscription, in minor units, overage apart: the base fee times its
    /// quantity, the seats, and the per-user price times the current user count, at the subscription's interval; a yearly
    /// subscription counts a twelfth (rounded to the nearest minor unit).
    /// </summary>
    internal static long MonthlyAmount(BillingPlan plan, Organization organization)
    {
        var yearly = organization.BillingInterval == "year";
        long baseQuantity;
        long seatQuantity = 0;
        if (plan.Seats is { } seats)
        {
            baseQuantity = plan.LicensedQuantity ?? 1;
            seatQuantity = organization.LicensedQuantity ?? seats.Quantity;
        }
        else
        {
            baseQuantity = organization.LicensedQuantity ?? plan.LicensedQuantity ?? 1;
        }

        var perInterval = ((yearly ? plan.YearlyAmount : plan.MonthlyAmount) * baseQuantity)
            + ((yearly ? plan.Seats?.YearlyAmount ?? 0 : plan.Seats?.MonthlyAmount ?? 0) * seatQuantity)
            + ((organization.LastUserCount ?? 0) * (yearly ? plan.YearlyUnitAmount : plan.MonthlyUnitAmount));
        return yearly ? (long)Math.Round(perInterval / 12m, MidpointRounding.AwayFromZero) : perInterval;
    }

    /// <summary>The overage an invoice bills: the sum of its lines on the overage prices of the plan (0 without a plan).</summary>
    internal static long OverageAmount(IDictionary<string, BillingPlan> plans, string? planKey, Invoice invoice)
    {
        if (planKey is null || !plans.TryGetValue(planKey, out var plan) || invoice.Lines?.Data is not { } lines)
        {
            return 0;
        }

        var overagePrices = OveragePrices(plan);
        return lines.Where(l => l.Pricing?.PriceDetails?.PriceId is { } price && overagePrices.Contains(price)).Sum(l => l.Amount);
    }

    private static bool HasOverage(BillingPlan plan) => OveragePrices(plan).Count > 0;

    private static HashSet<string> OveragePrices(BillingPlan plan) =>
        plan.Metrics.Values.SelectMany(m => new[] { m.OveragePriceId, m.YearlyOveragePriceId })
            .Where(p => !string.IsNullOrEmpty(p)).Select(p => p!).ToHashSet(StringComparer.Ordinal);

    // Last period's overage: the metered lines of the organization's paid or open invoice whose period ended last (a
    // subscription's first invoice covers no usage: its period ends when it starts).
    private static async Task<long> LastOverageAsync(IBillingStore store, Guid organizationId, CancellationToken cancellationToken)
    {
        var invoices = await store.ListInvoicesAsync(organizationId, InvoicesSearched, cancellationToken).ConfigureAwait(false);
        return invoices.Where(i => i.Status is "paid" or "open").OrderByDescending(i => i.PeriodEnd).FirstOrDefault()?.OverageAmount ?? 0;
    }
}
