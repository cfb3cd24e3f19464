using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Storage;
using Stripe;
using Stripe.Checkout;
using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Linking.Internal;

/// <summary>Stripe Checkout for pending organizations, and the billing portal for linked ones.</summary>
internal sealed class CheckoutService(IBillingStore store, StripeClient stripe, IOptionsMonitor<VaultAIBillingOptions> options)
{
    public async Task<StripeSessionLink> CreateCheckoutAsync(Guid organizationId, CheckoutRequest request, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        // The same rules as linking by hand, for the fields they share.
        LinkingService.ValidateEmail(request.CustomerEmail, "customer_email", required: false);
        LinkingService.ValidatePlanChoice(request.DeploymentType, request.PlanKey, request.TrialDays, request.BillingInterval, settings);
        RequireUrl(request.SuccessUrl, "success_url");
        RequireUrl(request.CancelUrl, "cancel_url");

        var organization = await store.GetOrganizationAsync(organizationId, cancellationToken).ConfigureAwait(false)
            ?? throw new BillingException(404, "organization_not_found", $"No organization {organizationId}.", "organization_id");
        if (organization.IsLinked)
        {
            throw new BillingException(409, "already_linked", $"Organization {organizationId} is already linked; use the billing portal instead.", "organization_id");
        }

        var plan = settings.Plans[request.PlanKey];
        var items = plan.SubscriptionItems(request.BillingInterval == "yearly");
        if (items.Count == 0)
        {
            throw BillingException.Invalid("plan_type", $"The plan '{request.PlanKey}' is free: it needs no checkout; link the organization instead.");
        }

        // Checkout takes 1 to 730 trial days; no trial is said by leaving the field out.
        var trialDays = request.TrialDays ?? plan.TrialDays ?? settings.DefaultTrialDays;
        var id = organizationId.ToString("D");
        var metadata = new Dictionary<string, string> { ["organization_id"] = id, ["plan"] = request.PlanKey, ["deployment_type"] = request.DeploymentType };

        // The same request twice (a double click) gets the same session back, so a customer never holds two.
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join('|', request.PlanKey, request.DeploymentType, request.SuccessUrl, request.CancelUrl, request.CustomerEmail, request.TrialDays, request.BillingInterval))))[..16];
        var session = await StripeErrors.GuardAsync(
            "create the checkout session",
            () => stripe.V1.Checkout.Sessions.CreateAsync(
                new SessionCreateOptions
                {
                    Mode = "subscription",
                    LineItems = items.Select(i => new SessionLineItemOptions { Price = i.PriceId, Quantity = i.Quantity }).ToList(),
                    SuccessUrl = request.SuccessUrl,
                    CancelUrl = request.CancelUrl,
                    CustomerEmail = request.CustomerEmail,
                    ClientReferenceId = id,
                    Metadata = metadata,
                    SubscriptionData = new SessionSubscriptionDataOptions
                    {
                        TrialPeriodDays = trialDays > 0 ? trialDays : null,
                        Metadata = metadata,
                    },
                },
                new RequestOptions { IdempotencyKey = StripeIdempotencyKeys.Checkout(id, fingerprint) },
                cancellationToken),
            cancellationToken).ConfigureAwait(false);
        return new StripeSessionLink(session.Url ?? throw new BillingException(502, "stripe_error", "Stripe returned a checkout session without a URL."), session.Id);
    }

    public async Task<StripeSessionLink> CreatePortalAsync(Guid organizationId, string returnUrl, CancellationToken cancellationToken)
    {
        RequireUrl(returnUrl, "return_url");
        var organization = await store.GetOrganizationAsync(organizationId, cancellationToken).ConfigureAwait(false)
            ?? throw new BillingException(404, "organization_not_found", $"No organization {organizationId}.", "organization_id");
        if (organization.StripeCustomerId is null)
        {
            throw new BillingException(409, "not_linked", $"Organization {organizationId} has no Stripe customer yet.", "organization_id");
        }

        var session = await StripeErrors.GuardAsync(
            "create the billing portal session",
            () => stripe.V1.BillingPortal.Sessions.CreateAsync(
                new global::Stripe.BillingPortal.SessionCreateOptions { Customer = organization.StripeCustomerId, ReturnUrl = returnUrl },
                cancellationToken: cancellationToken),
            cancellationToken).ConfigureAwait(false);
        return new StripeSessionLink(session.Url ?? throw new BillingException(502, "stripe_error", "Stripe returned a portal session without a URL."), session.Id);
    }

    private static void RequireUrl(string? value, string field)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || value!.Length > 2000)
        {
            throw BillingException.Invalid(field, $"'{field}' must be an absolute http(s) URL.");
        }
    }
}
