using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Plans.Internal;

/// <summary><c>GET /api/admin/revenue</c>: monthly recurring revenue per plan and per currency (see <see cref="RevenueCalculator"/>).</summary>
internal static class RevenueEndpoints
{
    public static void Map(RouteGroupBuilder admin) => admin.MapGet("/revenue", GetAsync).WithName("GetRevenue").Produces<RevenueSummary>();

    private static async Task<IResult> GetAsync(IBillingStore store, IOptionsMonitor<VaultAIBillingOptions> options, CancellationToken cancellationToken)
    {
        var summary = await RevenueCalculator.ComputeAsync(store, options.CurrentValue.Plans, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(summary, RevenueJsonContext.Default.RevenueSummary);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(RevenueSummary))]
internal sealed partial class RevenueJsonContext : JsonSerializerContext;
