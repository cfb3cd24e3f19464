using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Endpoints.Internal;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Metering.Internal;

namespace VaultAI.Billing.Entitlements.Internal;

/// <summary>The endpoint filters behind <c>RequireEntitlement</c> and <c>RecordUsage</c>.</summary>
internal static class EntitlementFilters
{
    /// <summary>
    /// The <c>RequireEntitlement</c> filter. What does not change between requests (the options monitor, the entitlement
    /// service, a singleton, and the keys under which the checked cost and a reservation are handed to <c>RecordUsage</c>) is
    /// looked up once, when the endpoint is built.
    /// </summary>
    public static Func<EndpointFilterFactoryContext, EndpointFilterDelegate, EndpointFilterDelegate> Require(string metric, Func<HttpContext, ValueTask<decimal>> costOf, bool reserve) =>
        (factory, next) =>
        {
            var options = factory.ApplicationServices.GetRequiredService<IOptionsMonitor<VaultAIBillingOptions>>();
            var service = factory.ApplicationServices.GetRequiredService<IEntitlementService>();
            var costKey = CostKey(metric);
            if (!reserve)
            {
                return context => RequireAsync(context, next, metric, costOf, options, service, costKey);
            }

            var library = service as EntitlementService
                ?? throw new InvalidOperationException("RequireEntitlement(..., reserve: true) needs the library's IEntitlementService.");
            var reservationKey = ReservationKey(metric);
            return context => RequireWithReservationAsync(context, next, metric, costOf, options, library, costKey, reservationKey);
        };

    /// <summary>The <c>RecordUsage</c> filter.</summary>
    public static Func<EndpointFilterFactoryContext, EndpointFilterDelegate, EndpointFilterDelegate> Record(string metric, Func<HttpContext, ValueTask<decimal>> costOf) =>
        (factory, next) =>
        {
            var options = factory.ApplicationServices.GetRequiredService<IOptionsMonitor<VaultAIBillingOptions>>();
            var costKey = CostKey(metric);
            var reservationKey = ReservationKey(metric);
            return context => RecordAsync(context, next, metric, costOf, options, costKey, reservationKey);
        };

    private static async ValueTask<object?> RequireAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next, string metric, Func<HttpContext, ValueTask<decimal>> costOf, IOptionsMonitor<VaultAIBillingOptions> options, IEntitlementService service, string costKey)
    {
        var http = context.HttpContext;
        try
        {
            var organizationId = Resolve(http, options);
            var cost = await costOf(http).ConfigureAwait(false);
            if (cost < 0)
            {
                throw BillingException.Invalid("quantity", "The request's cost must be at least 0.");
            }

            http.Items[costKey] = cost;
            var decision = await service.CheckAsync(organizationId, metric, cost, http.RequestAborted).ConfigureAwait(false);
            if (!decision.Allowed)
            {
                return Refusal(decision, http);
            }
        }
        catch (BillingException exception)
        {
            return Problems.From(exception, http);
        }

        return await next(context).ConfigureAwait(false);
    }

    private static async ValueTask<object?> RequireWithReservationAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next, string metric, Func<HttpContext, ValueTask<decimal>> costOf, IOptionsMonitor<VaultAIBillingOptions> options, EntitlementService service, string costKey, string reservationKey)
    {
        var http = context.HttpContext;
        HeldReservation? held = null;
        try
        {
            var organizationId = Resolve(http, options);
            var cost = await costOf(http).ConfigureAwait(false);
            if (cost < 0)
            {
                throw BillingException.Invalid("quantity", "The request's cost must be at least 0.");
            }

            http.Items[costKey] = cost;
            var (decision, reservation) = await service.CheckAndReserveAsync(organizationId, metric, cost, http.RequestAborted).ConfigureAwait(false);
            if (!decision.Allowed)
            {
                return Refusal(decision, http);
            }

            if (reservation is not null)
            {
                held = new HeldReservation(reservation);
                http.Items[reservationKey] = held;
            }
        }
        catch (BillingException exception)
        {
            return Problems.From(exception, http);
        }

        try
        {
            // RecordUsage (inside this filter) records the usage and gives the reservation back in one transaction.
            return await next(context).ConfigureAwait(false);
        }
        finally
        {
            // Nothing recorded it (the endpoint failed, or has no RecordUsage): give it back on its own.
            if (held is { Released: false })
            {
                http.Items.Remove(reservationKey);
                await service.ReleaseAsync(held.Reservation).ConfigureAwait(false);
            }
        }
    }

    private static async ValueTask<object?> RecordAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next, string metric, Func<HttpContext, ValueTask<decimal>> costOf, IOptionsMonitor<VaultAIBillingOptions> options, string costKey, string reservationKey)
    {
        var http = context.HttpContext;
        Guid organizationId;
        decimal cost;
        try
        {
            organizationId = Resolve(http, options);
            cost = http.Items.TryGetValue(costKey, out var checkedCost) && checkedCost is decimal known ? known : await costOf(http).ConfigureAwait(false);
        }
        catch (BillingException exception)
        {
            return Problems.From(exception, http);
        }

        var result = await next(context).ConfigureAwait(false);
        if (!Succeeded(result, http) || cost <= 0)
        {
            return result;
        }

        var services = http.RequestServices;
        var timeProvider = services.GetRequiredService<TimeProvider>();
        var keys = http.Request.Headers["Idempotency-Key"];
        var key = keys.Count > 0 ? keys[0] : null;
        var id = string.IsNullOrWhiteSpace(key) || key.Length > 200 ? $"request:{Guid.CreateVersion7(timeProvider.GetUtcNow()):N}" : $"request:{key}:{metric}";
        var usage = new UsageEvent(id, metric, cost, timeProvider.GetUtcNow());
        if (http.Items.TryGetValue(reservationKey, out var item) && item is HeldReservation { Released: false } held)
        {
            // The usage is added to the period total and the reservation subtracted in the same transaction: no reader sees it
            // counted twice (a wrong 402) or not at all (an overshoot). If this throws, nothing was written and
            // RequireEntitlement gives the reservation back.
            await services.GetRequiredService<UsageRecorder>()
                .RecordAsync(organizationId, [usage], UsageRecorder.InProcessSource, held.Reservation, CancellationToken.None).ConfigureAwait(false);
            held.Released = true;
        }
        else
        {
            await services.GetRequiredService<IUsageRecorder>().RecordAsync(organizationId, usage, CancellationToken.None).ConfigureAwait(false);
        }

        await services.GetRequiredService<IEntitlementService>().NoteUsageAsync(organizationId, metric, CancellationToken.None).ConfigureAwait(false);
        return result;
    }

    /// <summary>The 402 answer: problem details with the stable code, the quota and where to upgrade.</summary>
    internal static IResult Refusal(EntitlementDecision decision, HttpContext http)
    {
        http.RequestServices.GetService<Diagnostics.BillingDiagnostics>()?.EntitlementRefused(decision.Code!);
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Type = Problems.TypeBase + decision.Code!.Replace('_', '-'),
            Title = "Payment is required.",
            Status = StatusCodes.Status402PaymentRequired,
            Detail = decision.Detail,
            Instance = http.Request.Path,
        };
        problem.Extensions["code"] = decision.Code;
        problem.Extensions["field"] = decision.Code == EntitlementCodes.QuotaExceeded ? "quantity" : "organization_id";
        problem.Extensions["reason"] = decision.State.Reason;
        problem.Extensions["quota"] = QuotaJson(decision.Quota);
        problem.Extensions["upgrade_url"] = decision.UpgradeUrl;
        if (decision.State.GracePeriodEnd is { } graceEnd)
        {
            problem.Extensions["grace_period_end"] = graceEnd;
        }

        problem.Extensions["trace_id"] = http.TraceIdentifier;
        return TypedResults.Problem(problem);
    }

    /// <summary>The <c>quota</c> member: <c>{metric, current, limit, percentage}</c> (<c>limit</c> and <c>percentage</c> null when unlimited).</summary>
    internal static JsonObject QuotaJson(QuotaUsage quota) => new()
    {
        ["metric"] = quota.Metric,
        ["current"] = quota.Current,
        ["limit"] = quota.Limit,
        ["percentage"] = quota.Percentage,
    };

    private static Guid Resolve(HttpContext http, IOptionsMonitor<VaultAIBillingOptions> options)
    {
        var resolver = options.CurrentValue.Entitlements.OrganizationResolver
            ?? throw new InvalidOperationException("Set VaultAIBillingOptions.Entitlements.OrganizationResolver to use RequireEntitlement or RecordUsage.");
        return resolver(http) ?? throw new BillingException(401, "organization_required", "The request does not name the organization it acts for.", "organization_id");
    }

    // The HttpContext.Items key under which RequireEntitlement hands the checked cost of a metric to RecordUsage.
    private static string CostKey(string metric) => "VaultAI.Billing.EntitlementCost:" + metric;

    // The HttpContext.Items key under which RequireEntitlement(..., reserve: true) hands its reservation to RecordUsage.
    private static string ReservationKey(string metric) => "VaultAI.Billing.EntitlementReservation:" + metric;

    /// <summary>A reservation of this request, and whether <c>RecordUsage</c> already gave it back with the usage it recorded.</summary>
    private sealed class HeldReservation(QuotaReservation reservation)
    {
        public QuotaReservation Reservation { get; } = reservation;

        public bool Released { get; set; }
    }

    private static bool Succeeded(object? result, HttpContext http) => result switch
    {
        IStatusCodeHttpResult { StatusCode: { } status } => status < 400,
        ProblemHttpResult => false,
        _ => http.Response.StatusCode < 400,
    };
}
