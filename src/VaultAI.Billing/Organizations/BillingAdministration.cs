using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using VaultAI.Billing.Events;
using VaultAI.Billing.Events.Internal;
using VaultAI.Billing.Credentials.Internal;
using VaultAI.Billing.Linking;
using VaultAI.Billing.Linking.Internal;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Storage;
using RequestOptions = Stripe.RequestOptions;
using StripeClient = Stripe.StripeClient;
using Subscription = Stripe.Subscription;
using SubscriptionUpdateOptions = Stripe.SubscriptionUpdateOptions;
using VaultAI.Billing.Stripe.Internal;
using VaultAI.Billing.Webhooks;
using VaultAI.Billing.Webhooks.Internal;

namespace VaultAI.Billing.Organizations;

/// <summary>
/// The administrator's operations, used by the admin API and by a host's own dashboard. Authorization is the
/// caller's job: the admin routes require the configured policy.
/// </summary>
public sealed partial class BillingAdministration
{
    private readonly IBillingStore _store;
    private readonly StripeClient _stripe;
    private readonly LinkingService _linking;
    private readonly WebhookReplayer _webhooks;
    private readonly CheckoutService _checkout;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<BillingAdministration> _logger;
    private readonly CredentialCache _credentials;
    private readonly IBillingEventLog _events;
    private readonly IHttpContextAccessor _http;

    internal BillingAdministration(IBillingStore store, StripeClient stripe, LinkingService linking, WebhookReplayer webhooks, CheckoutService checkout, TimeProvider timeProvider, ILogger<BillingAdministration> logger, CredentialCache credentials, IBillingEventLog events, IHttpContextAccessor http)
    {
        _credentials = credentials;
        _events = events;
        _http = http;
        _store = store;
        _stripe = stripe;
        _linking = linking;
        _webhooks = webhooks;
        _checkout = checkout;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>Lists organizations with summary counts.</summary>
    public Task<OrganizationPage> ListOrganizationsAsync(OrganizationQuery query, CancellationToken cancellationToken = default) =>
        _store.ListOrganizationsAsync(query, cancellationToken);

    /// <summary>Reads one organization, or <see langword="null"/>.</summary>
    public Task<Organization?> GetOrganizationAsync(Guid organizationId, CancellationToken cancellationToken = default) =>
        _store.GetOrganizationAsync(organizationId, cancellationToken);

    /// <summary>The organization's most recent usage reports, newest first.</summary>
    public Task<IReadOnlyList<UsageReport>> GetRecentReportsAsync(Guid organizationId, int take = 60, CancellationToken cancellationToken = default) =>
        _store.GetRecentReportsAsync(organizationId, Math.Clamp(take, 1, 1000), cancellationToken);

    /// <summary>Links a pending organization to a new (or its existing) Stripe customer and a trial subscription.</summary>
    /// <exception cref="BillingException">400 for a bad request (naming the field), 404, 409 when already linked, 502 when Stripe fails.</exception>
    public async Task<Organization> LinkAsync(Guid organizationId, LinkRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var organization = await _linking.LinkAsync(organizationId, request, cancellationToken).ConfigureAwait(false);
        await RecordChangeAsync(organizationId, BillingEventTypes.Linked, new JsonObject { ["plan"] = request.PlanKey, ["subscription"] = organization.StripeSubscriptionId, ["status"] = organization.Status }, cancellationToken).ConfigureAwait(false);
        return organization;
    }

    /// <summary>Creates a Stripe Checkout link for a pending organization; completing it links the organization (by webhook).</summary>
    /// <exception cref="BillingException">400 naming the field, 404, 409 when already linked, 502 when Stripe fails.</exception>
    public Task<StripeSessionLink> CreateCheckoutLinkAsync(Guid organizationId, CheckoutRequest request, CancellationToken cancellationToken = default) =>
        _checkout.CreateCheckoutAsync(organizationId, request, cancellationToken);

    /// <summary>Creates a Stripe billing portal link where the customer manages payment methods, invoices and cancellation.</summary>
    /// <exception cref="BillingException">400 for a bad return URL, 404, 409 when the organization has no Stripe customer, 502.</exception>
    public Task<StripeSessionLink> CreatePortalLinkAsync(Guid organizationId, string returnUrl, CancellationToken cancellationToken = default) =>
        _checkout.CreatePortalAsync(organizationId, returnUrl, cancellationToken);

    /// <summary>Issues a new token for the organization and revokes the old one. The token is returned once.</summary>
    public async Task<string> RotateTokenAsync(Guid organizationId, CancellationToken cancellationToken = default)
    {
        await RequireAsync(organizationId, cancellationToken).ConfigureAwait(false);
        var now = _timeProvider.GetUtcNow();
        var token = InstanceTokens.NewToken();
        await _store.ReplaceCredentialAsync(organizationId, InstanceTokens.NewCredential(organizationId, token, now), now, cancellationToken).ConfigureAwait(false);
        _credentials.Invalidate(organizationId);
        LogTokenRotated(_logger, organizationId);
        await RecordChangeAsync(organizationId, BillingEventTypes.TokenRotated, null, cancellationToken).ConfigureAwait(false);
        return token;
    }

    /// <summary>Revokes the organization's token: its instance can no longer report until a new token is issued.</summary>
    public async Task RevokeTokenAsync(Guid organizationId, CancellationToken cancellationToken = default)
    {
        await RequireAsync(organizationId, cancellationToken).ConfigureAwait(false);
        await _store.ReplaceCredentialAsync(organizationId, null, _timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        _credentials.Invalidate(organizationId);
        LogTokenRevoked(_logger, organizationId);
    }

    /// <summary>Cancels the organization's subscription at once, or at the end of the period.</summary>
    public async Task<Organization> CancelSubscriptionAsync(Guid organizationId, bool atPeriodEnd, CancellationToken cancellationToken = default)
    {
        var organization = await RequireLinkedAsync(organizationId, cancellationToken).ConfigureAwait(false);
        var subscriptionId = organization.StripeSubscriptionId!;
        var subscription = await StripeErrors.GuardAsync(
            "cancel the subscription",
            () => atPeriodEnd
                ? _stripe.V1.Subscriptions.UpdateAsync(
                    subscriptionId,
                    new SubscriptionUpdateOptions { CancelAtPeriodEnd = true },
                    new RequestOptions { IdempotencyKey = StripeIdempotencyKeys.CancelAtPeriodEnd(subscriptionId) },
                    cancellationToken)
                // DELETE is idempotent by itself: Stripe takes no idempotency key on it.
                : _stripe.V1.Subscriptions.CancelAsync(subscriptionId, cancellationToken: cancellationToken),
            cancellationToken).ConfigureAwait(false);
        return await ApplyAsync(organizationId, subscription, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Re-reads the subscription from Stripe and applies it.</summary>
    public async Task<Organization> SyncFromStripeAsync(Guid organizationId, CancellationToken cancellationToken = default)
    {
        var organization = await RequireLinkedAsync(organizationId, cancellationToken).ConfigureAwait(false);
        // The latest invoice tells since when a past-due subscription has been past due (see SubscriptionState.ObservedAt).
        var subscription = await StripeErrors.GuardAsync(
            "read the subscription",
            () => _stripe.V1.Subscriptions.GetAsync(organization.StripeSubscriptionId!, new global::Stripe.SubscriptionGetOptions { Expand = ["latest_invoice"] }, cancellationToken: cancellationToken),
            cancellationToken).ConfigureAwait(false);
        return await ApplyAsync(organizationId, subscription, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Puts failed meter events (one, or all) back in the queue.</summary>
    public Task<int> RetryFailedMeterEventsAsync(Guid? outboxId = null, CancellationToken cancellationToken = default) =>
        _store.RetryFailedOutboxAsync(outboxId, _timeProvider.GetUtcNow(), cancellationToken);

    /// <summary>Lists meter events with a status (<see cref="OutboxStatus"/>), newest first.</summary>
    public Task<IReadOnlyList<MeterEventOutboxMessage>> ListMeterEventsAsync(string status, int take = 100, CancellationToken cancellationToken = default) =>
        _store.ListOutboxAsync(status, Math.Clamp(take, 1, 1000), cancellationToken);

    /// <summary>Counts meter events by status.</summary>
    public Task<IReadOnlyDictionary<string, int>> CountMeterEventsAsync(CancellationToken cancellationToken = default) =>
        _store.CountOutboxAsync(cancellationToken);

    /// <summary>Lists Stripe events of the inbox (all, or with a <see cref="WebhookEventStatus"/>), newest first.</summary>
    public Task<IReadOnlyList<WebhookInboxEvent>> ListWebhookEventsAsync(string? status = null, int take = 100, CancellationToken cancellationToken = default) =>
        _store.ListWebhookEventsAsync(status, Math.Clamp(take, 1, 1000), cancellationToken);

    /// <summary>Counts inbox events by status.</summary>
    public Task<IReadOnlyDictionary<string, int>> CountWebhookEventsAsync(CancellationToken cancellationToken = default) =>
        _store.CountWebhookEventsAsync(cancellationToken);

    /// <summary>Processes one stored Stripe event again; returns its new status.</summary>
    /// <exception cref="BillingException">404 when the event is unknown; 500 when processing fails again (recorded).</exception>
    public Task<string> RetryWebhookEventAsync(string eventId, CancellationToken cancellationToken = default) =>
        _webhooks.RetryAsync(eventId, cancellationToken);

    /// <summary>Lists Stripe's events since <paramref name="since"/> and applies those not applied yet, oldest first.</summary>
    public Task<WebhookReplayResult> ReplayWebhooksAsync(DateTimeOffset since, CancellationToken cancellationToken = default) =>
        _webhooks.ReplayAsync(since, cancellationToken);

    /// <summary>The organization's invoices (mirrored from Stripe webhooks), newest first.</summary>
    public Task<IReadOnlyList<InvoiceRecord>> ListInvoicesAsync(Guid organizationId, int take = 24, CancellationToken cancellationToken = default) =>
        _store.ListInvoicesAsync(organizationId, Math.Clamp(take, 1, 1000), cancellationToken);

    private async Task<Organization> ApplyAsync(Guid organizationId, Subscription subscription, CancellationToken cancellationToken)
    {
        var now = _timeProvider.GetUtcNow();
        var transition = default(StatusTransition);
        var organization = (await _store.UpdateOrganizationAsync(
            organizationId,
            org =>
            {
                transition = SubscriptionState.Apply(org, subscription, SubscriptionState.ObservedAt(subscription, now));
                org.UpdatedAt = now;
                return true;
            },
            cancellationToken).ConfigureAwait(false))!;

        var type = transition.Changed ? transition.After switch
        {
            OrganizationStatus.PastDue => BillingEventTypes.PastDue,
            OrganizationStatus.Canceled => BillingEventTypes.Canceled,
            OrganizationStatus.Active or OrganizationStatus.Trial when transition.LeftPastDue || transition.Before == OrganizationStatus.Unpaid => BillingEventTypes.Resumed,
            _ => null,
        } : null;
        if (type is not null)
        {
            await RecordChangeAsync(organizationId, type, new JsonObject { ["from"] = transition.Before, ["to"] = transition.After, ["past_due_since"] = organization.PastDueSince }, cancellationToken).ConfigureAwait(false);
        }

        return organization;
    }

    /// <summary>
    /// Records an administrator's change in the billing event log, with who did it. Best effort: the change is already
    /// made (in Stripe and in the database), so a failure of the log must not answer it as failed.
    /// </summary>
    private Task RecordChangeAsync(Guid organizationId, string type, JsonObject? data, CancellationToken cancellationToken) =>
        _events.RecordBestEffortAsync(new BillingEventEntry(type, organizationId, BillingActors.Admin(_http.HttpContext?.User.Identity?.Name), data), _logger, cancellationToken);

    private async Task<Organization> RequireAsync(Guid organizationId, CancellationToken cancellationToken) =>
        await _store.GetOrganizationAsync(organizationId, cancellationToken).ConfigureAwait(false)
        ?? throw new BillingException(404, "organization_not_found", $"No organization {organizationId}.", "organization_id");

    private async Task<Organization> RequireLinkedAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        var organization = await RequireAsync(organizationId, cancellationToken).ConfigureAwait(false);
        return organization.IsLinked
            ? organization
            : throw new BillingException(409, "not_linked", $"Organization {organizationId} is not linked to Stripe.", "organization_id");
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Information, Message = "Billing token of organization {OrganizationId} rotated")]
    private static partial void LogTokenRotated(ILogger logger, Guid organizationId);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Information, Message = "Billing token of organization {OrganizationId} revoked")]
    private static partial void LogTokenRevoked(ILogger logger, Guid organizationId);
}
