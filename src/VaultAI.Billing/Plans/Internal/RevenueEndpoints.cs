using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Plans.Internal;

/// <summary>
/// <c>GET /api/admin/revenue</c>: monthly recurring revenue from what the catalog bills, per plan. Per organization on a
/// plan: its fixed fee, plus its per-user price times its current user count (the latest report by when it happened).
/// Trialing organizations are counted apart, as potential MRR.
/// </summary>
internal static class RevenueEndpoints
{
    private const int Batch = 1000;

    public static void Map(RouteGroupBuilder admin) => admin.MapGet("/revenue", GetAsync).WithName("GetRevenue").Produces<RevenueResponse>();

    private static async Task<IResult> GetAsync(IBillingStore store, IOptionsMonitor<VaultAIBillingOptions> options, CancellationToken cancellationToken)
    {
        var plans = options.CurrentValue.Plans;
        var rows = new Dictionary<string, PlanRevenue>(StringComparer.Ordinal);
        foreach (var key in plans.Keys.Order(StringComparer.Ordinal))
        {
            rows[key] = new PlanRevenue(key, plans[key].DisplayName, plans[key].Currency.ToLowerInvariant(), 0, 0, 0, 0);
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

                var mrr = MonthlyAmount(plan, org);
                var row = rows[org.PlanKey];
                rows[org.PlanKey] = org.Status == OrganizationStatus.Trial
                    ? row with { TrialOrganizations = row.TrialOrganizations + 1, PotentialMrr = row.PotentialMrr + mrr }
                    : row with { Organizations = row.Organizations + 1, Mrr = row.Mrr + mrr };
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
        return TypedResults.Json(new RevenueResponse(totals, list), RevenueJsonContext.Default.RevenueResponse);
    }

    /// <summary>What one organization pays a month, in minor units: the fixed fee plus its users at the per-user price.</summary>
    internal static long MonthlyAmount(BillingPlan plan, Organization organization) =>
        plan.MonthlyAmount + ((organization.LastUserCount ?? 0) * plan.MonthlyUnitAmount)
        + ((plan.Seats?.MonthlyAmount ?? 0) * (plan.Seats?.Quantity ?? 0));
}

internal sealed record RevenueResponse(IReadOnlyList<CurrencyRevenue> Totals, IReadOnlyList<PlanRevenue> Plans);

internal sealed record CurrencyRevenue(string Currency, long Mrr, long PotentialMrr);

internal sealed record PlanRevenue(string Plan, string DisplayName, string Currency, int Organizations, long Mrr, int TrialOrganizations, long PotentialMrr);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(RevenueResponse))]
internal sealed partial class RevenueJsonContext : JsonSerializerContext;
