using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaultAI.Billing;
using VaultAI.Billing.Endpoints.Internal;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the VaultAI.Billing HTTP API.</summary>
public static class BillingEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the instance routes (<c>/api/organizations/register</c>, <c>/api/usage-report</c>, <c>/api/meter-events</c>,
    /// <c>/api/organizations/{id}/status</c>, <c>/api/usage-events</c>, <c>/api/organizations/{id}/usage</c>, <c>/api/plans</c>), the Stripe webhook (<c>/api/stripe/webhook</c>), and the admin routes under
    /// <c>/api/admin</c>, which require the authorization policy named by <see cref="VaultAIBillingOptions.AdminPolicy"/>.
    /// </summary>
    /// <param name="endpoints">The application.</param>
    /// <returns>A builder for the instance routes (add rate limiting or CORS here); the admin routes carry their policy.</returns>
    public static RouteGroupBuilder MapVaultAIBilling(this IEndpointRouteBuilder endpoints)
    {
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value;
        var api = endpoints.MapGroup("/api");
        var instance = api.MapGroup("").WithTags("Instances");
        InstanceEndpoints.Map(instance);
        UsageEndpoints.MapInstance(instance);
        VaultAI.Billing.Plans.Internal.PlanEndpoints.Map(instance);
        WebhookEndpoints.MapReceiver(api);
        var admin = api.MapGroup("/admin").WithTags("Admin").RequireAuthorization(options.AdminPolicy);
        AdminEndpoints.Map(admin);
        VaultAI.Billing.Plans.Internal.RevenueEndpoints.Map(admin);
        UsageEndpoints.MapAdmin(admin);
        WebhookEndpoints.MapAdmin(admin);
        VaultAI.Billing.Events.Internal.BillingEventEndpoints.MapAdmin(admin);
        SelfServiceEndpoints.Map(instance, admin);
        return instance;
    }
}
