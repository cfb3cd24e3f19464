namespace VaultAI.Billing.SelfService;

/// <summary>
/// What an organization may do about its own billing: read its subscription, invoices, payment methods and credit
/// balance, buy or change a plan, and open the billing portal. The routes under <c>/api/organizations/{id}/</c> call it
/// for the organization's own token; a host can call it behind its own user login. Redirect URLs must lie within
/// <see cref="VaultAIBillingOptions.AllowedRedirectOrigins"/>. Every Stripe call goes through Stripe.net.
/// </summary>
public interface IBillingSelfService
{
    /// <summary>Reads the organization's subscription, the next invoice's preview and the period's usage against the plan.</summary>
    /// <param name="organizationId">The organization.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The subscription.</returns>
    /// <exception cref="BillingException">404 when the organization does not exist.</exception>
    Task<SubscriptionOverview> GetSubscriptionAsync(Guid organizationId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Buys or changes a plan. An organization with a payment method on file is moved to the plan at once through
    /// <see cref="Subscriptions.SubscriptionLifecycle.ChangePlanAsync"/> (with proration); any other gets a Stripe Checkout
    /// session: with the plan's trial when it has no subscription yet (pending, or on a free plan), without one for an
    /// upgrade of a running subscription, which the new one replaces once paid.
    /// </summary>
    /// <param name="organizationId">The organization.</param>
    /// <param name="request">The plan, interval and redirect URLs.</param>
    /// <param name="actor">Who asks, recorded with a plan change (for example <see cref="Events.BillingActors.Instance"/>).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The Checkout URL, or the change made in place.</returns>
    /// <exception cref="BillingException">400 naming the field (nothing is written), 404, 502 when Stripe refuses or fails.</exception>
    Task<CheckoutOutcome> CheckoutAsync(Guid organizationId, SelfServiceCheckoutRequest request, string actor, CancellationToken cancellationToken = default);

    /// <summary>Creates a Stripe billing portal session for the organization's customer.</summary>
    /// <param name="organizationId">The organization.</param>
    /// <param name="returnUrl">Where the portal's back link leads; within the allowed origins.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The portal URL.</returns>
    /// <exception cref="BillingException">400 <c>return_url</c>, 404, 409 <c>not_linked</c> without a Stripe customer, 502.</exception>
    Task<Uri> CreatePortalLinkAsync(Guid organizationId, string returnUrl, CancellationToken cancellationToken = default);

    /// <summary>Lists the organization's invoices, newest first.</summary>
    /// <param name="organizationId">The organization.</param>
    /// <param name="startingAfter">The last invoice id of the previous page, or <see langword="null"/>.</param>
    /// <param name="limit">The page size, 1 to 100.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The page (empty without a Stripe customer).</returns>
    /// <exception cref="BillingException">400 <c>limit</c> or <c>starting_after</c>, 404, 502.</exception>
    Task<InvoicePage> GetInvoicesAsync(Guid organizationId, string? startingAfter = null, int limit = 20, CancellationToken cancellationToken = default);

    /// <summary>Lists the cards on file for the organization, the default one flagged.</summary>
    /// <param name="organizationId">The organization.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The payment methods (empty without a Stripe customer).</returns>
    /// <exception cref="BillingException">404, 502.</exception>
    Task<IReadOnlyList<PaymentMethodSummary>> GetPaymentMethodsAsync(Guid organizationId, CancellationToken cancellationToken = default);

    /// <summary>Reads the organization's credit balance and its latest movements (up to 100).</summary>
    /// <param name="organizationId">The organization.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The balance (0 without a Stripe customer).</returns>
    /// <exception cref="BillingException">404, 502.</exception>
    Task<CreditBalance> GetCreditsAsync(Guid organizationId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Grants credit (positive amount) or removes it (negative) as a Stripe customer balance transaction, which Stripe
    /// applies to the next invoices, and records it in the billing event log. The Stripe call carries the idempotency key
    /// <c>credit:{organization}:{key}</c>: the same key grants once.
    /// </summary>
    /// <param name="organizationId">The organization.</param>
    /// <param name="grant">The amount, currency and reason.</param>
    /// <param name="actor">Who grants it (for example <c>admin:alice</c>), recorded with it.</param>
    /// <param name="idempotencyKey">The caller's key for this grant; by default one derived from the amount, currency and
    /// reason, so that an identical grant repeated within Stripe's 24 hours counts once.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The balance transaction, as a movement of the credit balance.</returns>
    /// <exception cref="BillingException">400 naming the field (nothing is written), 404, 409 <c>not_linked</c> or <c>idempotency_conflict</c>, 502.</exception>
    Task<CreditTransaction> GrantCreditAsync(Guid organizationId, CreditGrant grant, string actor, string? idempotencyKey = null, CancellationToken cancellationToken = default);
}
