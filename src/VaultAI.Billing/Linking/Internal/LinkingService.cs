using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Metering.Internal;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Storage;
using Stripe;
using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Linking.Internal;

/// <summary>
/// Links an organization to one Stripe customer and one subscription. Stripe calls carry idempotency keys
/// derived from the organization and look for earlier results first, so a double click, a crash halfway or
/// two hosts at once still end with one customer and one subscription. Nothing is written to the database
/// until Stripe has answered; then the link is written whole, in one transaction.
/// </summary>
internal sealed partial class LinkingService(
    IBillingStore store,
    StripeClient stripe,
    OutboxPlanner planner,
    IOptionsMonitor<VaultAIBillingOptions> options,
    TimeProvider timeProvider,
    ILogger<LinkingService> logger)
{
    public async Task<Organization> LinkAsync(Guid organizationId, LinkRequest request, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        Validate(request, settings);
        var plan = settings.Plans[request.PlanKey];
        var yearly = string.Equals(request.BillingInterval, "yearly", StringComparison.Ordinal);
        var items = plan.SubscriptionItems(yearly);

        var organization = await store.GetOrganizationAsync(organizationId, cancellationToken).ConfigureAwait(false)
            ?? throw new BillingException(404, "organization_not_found", $"No organization {organizationId} has registered or reported.", "organization_id");
        if (organization.IsLinked)
        {
            throw AlreadyLinked(organization);
        }

        var idText = organizationId.ToString("D");
        var customer = await StripeErrors.GuardAsync("find or create the customer", () => FindOrCreateCustomerAsync(organization, request.AdminEmail, cancellationToken), cancellationToken).ConfigureAwait(false);
        var now = timeProvider.GetUtcNow();
        if (items.Count == 0)
        {
            return await LinkFreeAsync(organizationId, customer.Id, request, now, cancellationToken).ConfigureAwait(false);
        }

        var trialDays = request.TrialDays ?? plan.TrialDays ?? settings.DefaultTrialDays;
        var subscription = await StripeErrors.GuardAsync("find or create the subscription", () => FindOrCreateSubscriptionAsync(idText, customer.Id, items, trialDays, request, cancellationToken), cancellationToken).ConfigureAwait(false);

        Organization? linked = null;
        var outcome = await store.CommitLinkAsync(
            organizationId,
            org =>
            {
                org.StripeCustomerId = customer.Id;
                org.StripeSubscriptionId = subscription.Id;
                org.AdminEmail = request.AdminEmail;
                org.DeploymentType = request.DeploymentType;
                org.PlanKey = request.PlanKey;
                org.LinkedAt = now;
                SubscriptionState.Apply(org, subscription, SubscriptionState.ObservedAt(subscription, now));
                linked = org;
            },
            planner.Plan,
            cancellationToken).ConfigureAwait(false);

        switch (outcome)
        {
            case LinkCommitOutcome.Committed:
                LogLinked(logger, organizationId, customer.Id, subscription.Id, subscription.Status);
                return linked!;
            case LinkCommitOutcome.AlreadyLinked:
                var current = await store.GetOrganizationAsync(organizationId, cancellationToken).ConfigureAwait(false);
                if (current?.StripeSubscriptionId != subscription.Id)
                {
                    throw AlreadyLinked(current!);
                }

                // Stripe's 'created' webhook linked it a moment before us, to this very subscription: keep what the
                // administrator decided and answer as the link it is.
                var updated = await store.UpdateOrganizationAsync(organizationId, org =>
                {
                    org.AdminEmail = request.AdminEmail;
                    org.DeploymentType = request.DeploymentType;
                    org.PlanKey = request.PlanKey;
                    org.LinkedAt ??= now;
                    return true;
                }, cancellationToken).ConfigureAwait(false);
                LogLinked(logger, organizationId, customer.Id, subscription.Id, updated!.StripeSubscriptionStatus);
                return updated;
            default:
                throw new BillingException(404, "organization_not_found", $"Organization {organizationId} no longer exists.", "organization_id");
        }
    }

    /// <summary>A free plan has no Stripe subscription: the organization keeps its customer and is active at once.</summary>
    private async Task<Organization> LinkFreeAsync(Guid organizationId, string customerId, LinkRequest request, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var updated = await store.UpdateOrganizationAsync(organizationId, org =>
        {
            org.StripeCustomerId = customerId;
            org.StripeSubscriptionId = null;
            org.StripeSubscriptionStatus = null;
            org.AdminEmail = request.AdminEmail;
            org.DeploymentType = request.DeploymentType;
            org.PlanKey = request.PlanKey;
            org.Status = OrganizationStatus.Active;
            org.TrialEnd = null;
            org.LinkedAt ??= now;
            return true;
        }, cancellationToken).ConfigureAwait(false)
            ?? throw new BillingException(404, "organization_not_found", $"Organization {organizationId} no longer exists.", "organization_id");
        LogLinkedFree(logger, organizationId, customerId, request.PlanKey);
        return updated;
    }

    private async Task<Customer> FindOrCreateCustomerAsync(Organization organization, string email, CancellationToken cancellationToken)
    {
        var id = organization.Id.ToString("D");
        var found = await stripe.V1.Customers.SearchAsync(
            new CustomerSearchOptions { Query = $"metadata['organization_id']:'{id}'", Limit = 1 },
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (found.Data.FirstOrDefault() is { } existing)
        {
            return existing;
        }

        return await stripe.V1.Customers.CreateAsync(
            new CustomerCreateOptions
            {
                Email = email,
                Name = organization.Name,
                Metadata = new Dictionary<string, string> { ["organization_id"] = id },
            },
            new RequestOptions { IdempotencyKey = StripeIdempotencyKeys.LinkCustomer(id) },
            cancellationToken).ConfigureAwait(false);
    }

    private async Task<Subscription> FindOrCreateSubscriptionAsync(string organizationId, string customerId, IReadOnlyList<PlanItem> items, int trialDays, LinkRequest request, CancellationToken cancellationToken)
    {
        var existingSubscriptions = stripe.V1.Subscriptions.ListAutoPagingAsync(
            // With the latest invoice: an existing past-due subscription's grace period then counts from its failed
            // payment (SubscriptionState.ObservedAt), not from the link.
            new SubscriptionListOptions { Customer = customerId, Status = "all", Limit = 100, Expand = ["data.latest_invoice"] },
            cancellationToken: cancellationToken);
        await foreach (var existing in existingSubscriptions.ConfigureAwait(false))
        {
            if (existing.Metadata?.TryGetValue("organization_id", out var owner) == true && owner == organizationId
                && existing.Status is not ("canceled" or "incomplete_expired"))
            {
                return existing;
            }
        }

        return await stripe.V1.Subscriptions.CreateAsync(
            new SubscriptionCreateOptions
            {
                Customer = customerId,
                Items = items.Select(i => new SubscriptionItemOptions { Price = i.PriceId, Quantity = i.Quantity }).ToList(),
                TrialPeriodDays = trialDays,
                Metadata = new Dictionary<string, string>
                {
                    ["organization_id"] = organizationId,
                    ["plan"] = request.PlanKey,
                    ["deployment_type"] = request.DeploymentType,
                },
            },
            new RequestOptions { IdempotencyKey = StripeIdempotencyKeys.LinkSubscription(organizationId) },
            cancellationToken).ConfigureAwait(false);
    }

    internal static void Validate(LinkRequest request, VaultAIBillingOptions settings)
    {
        ValidateEmail(request.AdminEmail, "admin_email", required: true);
        ValidatePlanChoice(request.DeploymentType, request.PlanKey, request.TrialDays, request.BillingInterval, settings);
    }

    internal static void ValidateEmail(string? email, string field, bool required)
    {
        if (email is null && !required)
        {
            return;
        }

        // One rule for every surface (API bodies and the dashboard's link form): local@domain.tld.
        if (!Endpoints.Internal.EmailAddresses.IsValid(email))
        {
            throw BillingException.Invalid(field, $"'{field}' must be an e-mail address such as ops@example.com.", "invalid_email");
        }
    }

    internal static void ValidatePlanChoice(string? deploymentType, string? planKey, int? trialDays, string? billingInterval, VaultAIBillingOptions settings)
    {
        if (!DeploymentTypes.IsValid(deploymentType))
        {
            throw BillingException.Invalid("deployment_type", "'deployment_type' must be 'on-premise' or 'managed-cloud'.");
        }

        if (string.IsNullOrEmpty(planKey) || !settings.Plans.TryGetValue(planKey, out var plan))
        {
            throw BillingException.Invalid("plan_type", $"'plan_type' must be one of: {string.Join(", ", settings.Plans.Keys)}.");
        }

        if (trialDays is < 0 or > 730)
        {
            throw BillingException.Invalid("trial_days", "'trial_days' must be between 0 and 730.");
        }

        if (billingInterval is not (null or "monthly" or "yearly"))
        {
            throw BillingException.Invalid("billing_interval", "'billing_interval' must be 'monthly' or 'yearly'.");
        }

        if (billingInterval == "yearly" && !plan.HasYearly)
        {
            throw BillingException.Invalid("billing_interval", $"The plan '{planKey}' has no yearly price.");
        }
    }

    private static BillingException AlreadyLinked(Organization organization) =>
        new(409, "already_linked", $"Organization {organization.Id} is already linked to Stripe customer {organization.StripeCustomerId}.", "organization_id");

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Organization {OrganizationId} linked to Stripe customer {CustomerId} on the free plan {PlanKey}, without a subscription")]
    private static partial void LogLinkedFree(ILogger logger, Guid organizationId, string customerId, string planKey);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Organization {OrganizationId} linked to Stripe customer {CustomerId} and subscription {SubscriptionId} ({Status})")]
    private static partial void LogLinked(ILogger logger, Guid organizationId, string customerId, string subscriptionId, string? status);
}
