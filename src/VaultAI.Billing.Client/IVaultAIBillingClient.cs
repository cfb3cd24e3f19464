namespace VaultAI.Billing.Client;

/// <summary>The typed client of the VaultAI billing host, used by an instance.</summary>
public interface IVaultAIBillingClient
{
    /// <summary>Gets where the client stands with its credentials (for example <see cref="BillingClientState.TokenLost"/>).</summary>
    BillingClientState State { get; }

    /// <summary>
    /// Registers this instance's organization and stores the issued token. When a token is already stored it is
    /// sent as proof of ownership, and the host answers "already registered" without issuing a new one.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The registration outcome.</returns>
    /// <exception cref="BillingTokenLostException">The host already has the organization and no valid token is stored.</exception>
    /// <exception cref="VaultAIBillingException">The host refused the registration or could not be reached.</exception>
    Task<RegistrationResult> RegisterAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends one usage report, registering first if no token is stored. Retried on transient failures
    /// with the same idempotency key, so the host counts it once.
    /// </summary>
    /// <param name="report">The report.</param>
    /// <param name="idempotencyKey">The idempotency key; by default <c>{organization_id}:{metric}:{yyyy-MM-dd}</c> of the report's local date.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The host's acknowledgement.</returns>
    /// <exception cref="VaultAIBillingException">The host refused the report or could not be reached.</exception>
    Task<UsageReportResult> ReportUsageAsync(UsageReport report, string? idempotencyKey = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns the organization's status: from the cache while it is fresh, otherwise from the host; when the host
    /// cannot be reached, the last known status flagged <see cref="OrganizationStatus.IsStale"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The status.</returns>
    /// <exception cref="VaultAIBillingException">The host refused the request, or it could not be reached and no status was ever retrieved.</exception>
    Task<OrganizationStatus> GetStatusAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Asks the billing host whether the organization may use <paramref name="quantity"/> more of <paramref name="metric"/> now,
    /// judged against the usage the host has recorded this period. When the host cannot be reached, the answer comes from the
    /// cached status (<see cref="GetStatusAsync"/>) if it is at most <see cref="VaultAIBillingClientOptions.EntitlementCacheMaxAge"/>
    /// old, flagged <see cref="EntitlementCheck.IsStale"/>: entitled as it was then, with no quota known.
    /// </summary>
    /// <param name="metric">The metric key, for example <c>ai_tokens</c>.</param>
    /// <param name="quantity">The quantity about to be used (0 asks about the subscription only).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The answer; a refusal carries the host's code, quota and upgrade URL.</returns>
    /// <exception cref="VaultAIBillingException">The host refused the request (other than 402), or it could not be reached and no recent enough status is cached.</exception>
    Task<EntitlementCheck> CheckEntitlementAsync(string metric, long quantity, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads the organization's subscription from the billing host: plan, interval, status, trial, period, seats,
    /// the next invoice's preview and the period's usage of each metric against the plan. Not cached.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The subscription.</returns>
    /// <exception cref="VaultAIBillingException">The host refused the request or could not be reached.</exception>
    Task<SubscriptionSummary> GetSubscriptionAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Asks for a plan purchase or upgrade. When the organization has no payment method on file the host answers a Stripe
    /// Checkout URL to send the admin to (with the plan's trial for a new subscription); when it has one, the host changes
    /// the subscription in place and <see cref="CheckoutLink.ChangedInPlace"/> is <see langword="true"/>.
    /// </summary>
    /// <param name="planType">The plan key, as in the host's catalog.</param>
    /// <param name="billingInterval"><c>monthly</c> or <c>yearly</c>.</param>
    /// <param name="successUrl">Where Checkout sends the admin after paying; its origin must be allowed by the host.</param>
    /// <param name="cancelUrl">Where Checkout sends the admin who gives up; its origin must be allowed by the host.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The Checkout URL, or the in-place change.</returns>
    /// <exception cref="ArgumentException">A plan or interval is empty, or a URL is not absolute.</exception>
    /// <exception cref="VaultAIBillingException">The host refused the request (for example 400 with <see cref="BillingProblemDetails.Field"/> <c>success_url</c>) or could not be reached.</exception>
    Task<CheckoutLink> CreateCheckoutLinkAsync(string planType, string billingInterval, Uri successUrl, Uri cancelUrl, CancellationToken cancellationToken = default);

    /// <summary>Asks for a Stripe billing portal URL, where the organization's admin manages payment methods, sees invoices and cancels.</summary>
    /// <param name="returnUrl">Where the portal's back link leads; its origin must be allowed by the host.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The portal URL (short-lived: open it at once).</returns>
    /// <exception cref="ArgumentException">The URL is not absolute.</exception>
    /// <exception cref="VaultAIBillingException">The host refused the request (for example 409 when the organization has no Stripe customer yet) or could not be reached.</exception>
    Task<Uri> CreatePortalLinkAsync(Uri returnUrl, CancellationToken cancellationToken = default);

    /// <summary>Lists the organization's invoices, newest first, one page at a time.</summary>
    /// <param name="startingAfter">The id of the last invoice of the previous page, or <see langword="null"/> for the first page.</param>
    /// <param name="limit">The page size, 1 to 100.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The page.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The limit is outside 1 to 100.</exception>
    /// <exception cref="VaultAIBillingException">The host refused the request or could not be reached.</exception>
    Task<InvoicePage> GetInvoicesAsync(string? startingAfter = null, int limit = 20, CancellationToken cancellationToken = default);

    /// <summary>Lists the payment methods on file for the organization, the default one flagged.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The payment methods (empty when none, or when the organization has no Stripe customer yet).</returns>
    /// <exception cref="VaultAIBillingException">The host refused the request or could not be reached.</exception>
    Task<IReadOnlyList<PaymentMethodSummary>> GetPaymentMethodsAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads the organization's credit balance and its movements.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The balance (0 and no history when the organization has no Stripe customer yet).</returns>
    /// <exception cref="VaultAIBillingException">The host refused the request or could not be reached.</exception>
    Task<CreditBalance> GetCreditsAsync(CancellationToken cancellationToken = default);
}
