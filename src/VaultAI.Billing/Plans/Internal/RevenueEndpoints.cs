using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Plans.Internal;

/// <summary>
/// <c>GET /api/admin/revenue</c>: monthly recurring revenue per plan and per currency (see <see cref="RevenueCalculator"/>);
/// <c>GET /api/admin/revenue/history?from=&amp;to=</c>: the daily snapshots of it (see <see cref="RevenueHistory"/>).
/// </summary>
internal static class RevenueEndpoints
{
    /// <summary>The days the history route answers when <c>from</c> is not given: the last 90, today included.</summary>
    public const int DefaultHistoryDays = 90;

    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/revenue", GetAsync).WithName("GetRevenue").Produces<RevenueSummary>();
        admin.MapGet("/revenue/history", GetHistoryAsync).WithName("GetRevenueHistory")
            .WithSummary("The MRR and potential MRR per day and currency")
            .WithDescription("Query: from and to, days as yyyy-MM-dd (the host's UTC days), both included; to defaults to today, from to 89 days before to; at most 731 days.")
            .Produces<RevenueHistoryResponse>();
    }

    private static async Task<IResult> GetAsync(IBillingStore store, IOptionsMonitor<VaultAIBillingOptions> options, CancellationToken cancellationToken)
    {
        var summary = await RevenueCalculator.ComputeAsync(store, options.CurrentValue.Plans, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(summary, RevenueJsonContext.Default.RevenueSummary);
    }

    // [FromServices]: a host whose store keeps no history still starts; the route then fails, not the whole API.
    private static async Task<IResult> GetHistoryAsync(HttpRequest request, [FromServices] RevenueHistory history, CancellationToken cancellationToken)
    {
        // Both days are checked before anything is read.
        var to = QueryDay(request, "to") ?? history.Today;
        var from = QueryDay(request, "from") ?? to.AddDays(-(DefaultHistoryDays - 1));
        var snapshots = await history.GetAsync(from, to, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new RevenueHistoryResponse(from, to, snapshots), RevenueJsonContext.Default.RevenueHistoryResponse);
    }

    private static DateOnly? QueryDay(HttpRequest request, string name)
    {
        var values = request.Query[name];
        if (values.Count == 0 || (values.Count == 1 && string.IsNullOrEmpty(values[0])))
        {
            return null;
        }

        return values.Count == 1 && DateOnly.TryParseExact(values[0], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw BillingException.Invalid(name, $"'{name}' must be one day written yyyy-MM-dd, for example 2026-12-03.");
    }
}

/// <summary>The answer of <c>GET /api/admin/revenue/history</c>.</summary>
/// <param name="From">The first day of the range.</param>
/// <param name="To">The last day of the range.</param>
/// <param name="Snapshots">The snapshots in the range, by day then currency; a day without a snapshot has none.</param>
internal sealed record RevenueHistoryResponse(DateOnly From, DateOnly To, IReadOnlyList<MrrSnapshot> Snapshots);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(RevenueSummary))]
[JsonSerializable(typeof(RevenueHistoryResponse))]
internal sealed partial class RevenueJsonContext : JsonSerializerContext;
