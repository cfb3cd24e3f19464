using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Credentials.Internal;
using VaultAI.Billing.Events;
using VaultAI.Billing.SelfService;

namespace VaultAI.Billing.Endpoints.Internal;

/// <summary>
/// The self-service routes an organization calls with its own token (another organization's token is 403), and the admin
/// route that grants or removes credit. The groups already carry the problem filter.
/// </summary>
internal static class SelfServiceEndpoints
{
    public static void Map(RouteGroupBuilder instance, RouteGroupBuilder admin)
    {
        instance.MapGet("/organizations/{organizationId}/subscription", SubscriptionAsync).WithName("GetOrganizationSubscription");
        instance.MapPost("/organizations/{organizationId}/checkout", CheckoutAsync).WithName("CreateCheckoutLink");
        instance.MapPost("/organizations/{organizationId}/portal", PortalAsync).WithName("CreatePortalLink");
        instance.MapGet("/organizations/{organizationId}/invoices", InvoicesAsync).WithName("ListOrganizationInvoices");
        instance.MapGet("/organizations/{organizationId}/payment-methods", PaymentMethodsAsync).WithName("ListOrganizationPaymentMethods");
        instance.MapGet("/organizations/{organizationId}/credits", CreditsAsync).WithName("GetOrganizationCredits");
        admin.MapPost("/organizations/{organizationId}/credits", GrantCreditAsync).WithName("AdminGrantCredit");
    }

    private static async Task<IResult> SubscriptionAsync(string organizationId, HttpContext context, InstanceAuthenticator authenticator, IBillingSelfService selfService, CancellationToken cancellationToken)
    {
        var id = await AuthorizeAsync(organizationId, context, authenticator, cancellationToken).ConfigureAwait(false);
        var overview = await selfService.GetSubscriptionAsync(id, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(overview, SelfServiceJsonContext.Default.SubscriptionOverview);
    }

    private static async Task<IResult> CheckoutAsync(string organizationId, HttpContext context, InstanceAuthenticator authenticator, IBillingSelfService selfService, IOptionsMonitor<VaultAIBillingOptions> options, CancellationToken cancellationToken)
    {
        var id = await AuthorizeAsync(organizationId, context, authenticator, cancellationToken).ConfigureAwait(false);
        SelfServiceCheckoutRequest request;
        using (var body = await JsonBody.ReadAsync(context.Request, options.CurrentValue.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false))
        {
            request = new SelfServiceCheckoutRequest
            {
                PlanType = body.RequiredString("plan_type", 64),
                BillingInterval = body.RequiredString("billing_interval", 16),
                SuccessUrl = body.RequiredString("success_url", 2000),
                CancelUrl = body.RequiredString("cancel_url", 2000),
            };
        }

        // Checked for its shape only: a retried request changes the plan once because the change itself is idempotent.
        InstanceEndpoints.ReadIdempotencyKey(context.Request);
        var outcome = await selfService.CheckoutAsync(id, request, BillingActors.Instance, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(outcome, SelfServiceJsonContext.Default.CheckoutOutcome);
    }

    private static async Task<IResult> PortalAsync(string organizationId, HttpContext context, InstanceAuthenticator authenticator, IBillingSelfService selfService, IOptionsMonitor<VaultAIBillingOptions> options, CancellationToken cancellationToken)
    {
        var id = await AuthorizeAsync(organizationId, context, authenticator, cancellationToken).ConfigureAwait(false);
        string returnUrl;
        using (var body = await JsonBody.ReadAsync(context.Request, options.CurrentValue.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false))
        {
            returnUrl = body.RequiredString("return_url", 2000);
        }

        var url = await selfService.CreatePortalLinkAsync(id, returnUrl, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new PortalLinkView(url), SelfServiceJsonContext.Default.PortalLinkView);
    }

    private static async Task<IResult> InvoicesAsync(string organizationId, HttpContext context, InstanceAuthenticator authenticator, IBillingSelfService selfService, CancellationToken cancellationToken)
    {
        var id = await AuthorizeAsync(organizationId, context, authenticator, cancellationToken).ConfigureAwait(false);
        var query = context.Request.Query;
        var limit = 20;
        if (query.TryGetValue("limit", out var limitText) && !int.TryParse(limitText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit))
        {
            throw BillingException.Invalid("limit", "'limit' must be a whole number between 1 and 100.");
        }

        var startingAfter = query.TryGetValue("starting_after", out var after) && after.ToString().Length > 0 ? after.ToString() : null;
        var page = await selfService.GetInvoicesAsync(id, startingAfter, limit, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(page, SelfServiceJsonContext.Default.InvoicePage);
    }

    private static async Task<IResult> PaymentMethodsAsync(string organizationId, HttpContext context, InstanceAuthenticator authenticator, IBillingSelfService selfService, CancellationToken cancellationToken)
    {
        var id = await AuthorizeAsync(organizationId, context, authenticator, cancellationToken).ConfigureAwait(false);
        var methods = await selfService.GetPaymentMethodsAsync(id, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new PaymentMethodsView(methods), SelfServiceJsonContext.Default.PaymentMethodsView);
    }

    private static async Task<IResult> CreditsAsync(string organizationId, HttpContext context, InstanceAuthenticator authenticator, IBillingSelfService selfService, CancellationToken cancellationToken)
    {
        var id = await AuthorizeAsync(organizationId, context, authenticator, cancellationToken).ConfigureAwait(false);
        var credits = await selfService.GetCreditsAsync(id, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(credits, SelfServiceJsonContext.Default.CreditBalance);
    }

    private static async Task<IResult> GrantCreditAsync(string organizationId, HttpContext context, IBillingSelfService selfService, IOptionsMonitor<VaultAIBillingOptions> options, CancellationToken cancellationToken)
    {
        var id = JsonBody.ParseId(organizationId, "organization_id");
        CreditGrant grant;
        using (var body = await JsonBody.ReadAsync(context.Request, options.CurrentValue.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false))
        {
            grant = new CreditGrant(
                body.RequiredInteger("amount", long.MinValue, long.MaxValue),
                body.RequiredString("currency", 3),
                body.RequiredString("reason", 350));
        }

        var idempotencyKey = InstanceEndpoints.ReadIdempotencyKey(context.Request);
        var actor = BillingActors.Admin(context.User.Identity?.Name);
        var transaction = await selfService.GrantCreditAsync(id, grant, actor, idempotencyKey, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(transaction, SelfServiceJsonContext.Default.CreditTransaction);
    }

    /// <summary>The same check as the status route: the organization's own token, then the path's id (403 for another's).</summary>
    private static async Task<Guid> AuthorizeAsync(string organizationId, HttpContext context, InstanceAuthenticator authenticator, CancellationToken cancellationToken)
    {
        var credential = await authenticator.AuthenticateAsync(context.Request, cancellationToken).ConfigureAwait(false);
        var id = JsonBody.ParseId(organizationId, "organization_id");
        InstanceAuthenticator.Authorize(credential, id);
        return id;
    }
}

internal sealed record PortalLinkView(Uri Url);

internal sealed record PaymentMethodsView(IReadOnlyList<PaymentMethodSummary> PaymentMethods);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(SubscriptionOverview))]
[JsonSerializable(typeof(CheckoutOutcome))]
[JsonSerializable(typeof(PortalLinkView))]
[JsonSerializable(typeof(InvoicePage))]
[JsonSerializable(typeof(PaymentMethodsView))]
[JsonSerializable(typeof(CreditBalance))]
[JsonSerializable(typeof(CreditTransaction))]
internal sealed partial class SelfServiceJsonContext : JsonSerializerContext;
