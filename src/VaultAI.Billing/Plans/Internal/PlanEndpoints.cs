using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Credentials.Internal;
using VaultAI.Billing.Endpoints.Internal;

namespace VaultAI.Billing.Plans.Internal;

/// <summary><c>GET /api/plans</c>: the public plan catalog, for an instance's or an app's own upgrade page.</summary>
internal static class PlanEndpoints
{
    public static void Map(RouteGroupBuilder group) =>
        group.MapGet("/plans", ListAsync).WithName("ListPlans").Produces<PlanCatalogResponse>().AddEndpointFilter(InstanceEndpoints.ProblemFilter);

    private static async Task<IResult> ListAsync(HttpContext context, InstanceAuthenticator authenticator, IOptionsMonitor<VaultAIBillingOptions> options, CancellationToken cancellationToken)
    {
        // Any organization's own token may read the catalog; nothing in it is about one organization.
        await authenticator.AuthenticateAsync(context.Request, cancellationToken).ConfigureAwait(false);
        var settings = options.CurrentValue;
        var plans = settings.Plans.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => View(p.Key, p.Value, settings)).ToList();
        return TypedResults.Json(new PlanCatalogResponse(plans), PlansJsonContext.Default.PlanCatalogResponse);
    }

    internal static PlanView View(string key, BillingPlan plan, VaultAIBillingOptions settings)
    {
        var currency = plan.Currency.ToLowerInvariant();
        var prices = new List<PlanPriceView>();
        void Add(string interval, long amount, string per)
        {
            if (amount > 0)
            {
                prices.Add(new PlanPriceView(interval, amount, currency, per));
            }
        }

        Add("month", plan.MonthlyAmount, "plan");
        Add("year", plan.YearlyAmount, "plan");
        Add("month", plan.MonthlyUnitAmount, settings.ReportMetric);
        Add("year", plan.YearlyUnitAmount, settings.ReportMetric);
        Add("month", plan.Seats?.MonthlyAmount ?? 0, "seat");
        Add("year", plan.Seats?.YearlyAmount ?? 0, "seat");

        var metrics = new List<PlanMetricView>();
        foreach (var metric in plan.Metrics.Keys.Union(plan.Limits.Keys).Order(StringComparer.Ordinal))
        {
            var limit = plan.FindLimit(metric)!;
            settings.Metrics.TryGetValue(metric, out var definition);
            plan.Metrics.TryGetValue(metric, out var terms);
            metrics.Add(new PlanMetricView(
                metric,
                string.IsNullOrEmpty(definition?.DisplayName) ? metric : definition.DisplayName,
                definition?.Unit ?? "",
                limit.Included,
                limit.Limit is { } value ? JsonValue.Create(value) : JsonValue.Create("unlimited"),
                limit.Limit is null,
                limit.Hard,
                terms?.OverageUnitAmount ?? 0m));
        }

        return new PlanView(
            key,
            string.IsNullOrEmpty(plan.DisplayName) ? key : plan.DisplayName,
            plan.IsFree,
            prices,
            plan.TrialDays ?? settings.DefaultTrialDays,
            plan.GraceDays,
            metrics,
            plan.Features.ToList());
    }
}

internal sealed record PlanCatalogResponse(IReadOnlyList<PlanView> Plans);

internal sealed record PlanView(
    string Key,
    string DisplayName,
    bool Free,
    IReadOnlyList<PlanPriceView> Prices,
    int TrialDays,
    int GraceDays,
    IReadOnlyList<PlanMetricView> Metrics,
    IReadOnlyList<string> Features);

// Interval: month or year. Amount: minor units. Per: "plan" (a fixed fee), "seat", or the metric billed per unit.
internal sealed record PlanPriceView(string Interval, long Amount, string Currency, string Per);

// Limit: the limit per period, or the string "unlimited". OverageUnitAmount: minor units per unit over the included quantity.
internal sealed record PlanMetricView(string Metric, string DisplayName, string Unit, decimal Included, JsonNode? Limit, bool Unlimited, bool Hard, decimal OverageUnitAmount);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(PlanCatalogResponse))]
internal sealed partial class PlansJsonContext : JsonSerializerContext;
