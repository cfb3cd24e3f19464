using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace VaultAI.Billing.Entitlements.Internal;

/// <summary>The 200 answer of the check route.</summary>
internal static class EntitlementAnswers
{
    public static IResult Allowed(EntitlementDecision decision, decimal quantity)
    {
        var quota = decision.Quota;
        var response = new EntitlementCheckAnswer(
            true,
            quota.Metric,
            quantity,
            quota.Limit,
            quota.Limit - quota.Current - quantity,
            decision.State.Reason,
            decision.OverQuota,
            new QuotaAnswer(quota.Metric, quota.Current, quota.Limit, quota.Percentage),
            decision.State.GracePeriodEnd);
        return TypedResults.Json(response, EntitlementJsonContext.Default.EntitlementCheckAnswer);
    }
}

internal sealed record QuotaAnswer(string Metric, decimal Current, decimal? Limit, decimal? Percentage);

internal sealed record EntitlementCheckAnswer(
    bool Allowed,
    string Metric,
    decimal Quantity,
    decimal? Limit,
    decimal? Remaining,
    string Reason,
    bool OverQuota,
    QuotaAnswer Quota,
    DateTimeOffset? GracePeriodEnd);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(EntitlementCheckAnswer))]
internal sealed partial class EntitlementJsonContext : JsonSerializerContext;
