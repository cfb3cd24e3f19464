namespace VaultAI.Billing.Stripe;

/// <summary>
/// VaultAI's typed client of the Stripe API: the calls the billing library makes, with Stripe's form encoding,
/// an <c>Idempotency-Key</c> on every POST (the same on each retry), retries driven by <c>Stripe-Should-Retry</c>,
/// and lists exposed as <see cref="IAsyncEnumerable{T}"/> that page on demand.
/// </summary>
/// <remarks>
/// Errors Stripe reports, and answers that are not the expected JSON, throw <see cref="StripeApiException"/>.
/// A call that cannot reach Stripe after all retries throws <see cref="HttpRequestException"/>, or
/// <see cref="TimeoutException"/> when its last attempt timed out. Cancellation throws <see cref="OperationCanceledException"/>.
/// </remarks>
public interface IStripeClient
{
    /// <summary>Creates a customer (<c>POST /v1/customers</c>).</summary>
    /// <param name="options">The parameters.</param>
    /// <param name="requestOptions">Per-call settings such as the idempotency key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The customer.</returns>
    Task<StripeCustomer> CreateCustomerAsync(CustomerCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default);

    /// <summary>Retrieves a customer (<c>GET /v1/customers/{id}</c>).</summary>
    /// <param name="customerId">The customer id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The customer.</returns>
    Task<StripeCustomer> GetCustomerAsync(string customerId, CancellationToken cancellationToken = default);

    /// <summary>Updates a customer (<c>POST /v1/customers/{id}</c>).</summary>
    /// <param name="customerId">The customer id.</param>
    /// <param name="options">The fields to change.</param>
    /// <param name="requestOptions">Per-call settings such as the idempotency key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The updated customer.</returns>
    Task<StripeCustomer> UpdateCustomerAsync(string customerId, CustomerUpdateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default);

    /// <summary>Lists customers (<c>GET /v1/customers</c>), newest first, paging with <c>starting_after</c>.</summary>
    /// <param name="options">Filters, page size, start and expansions.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The customers.</returns>
    IAsyncEnumerable<StripeCustomer> ListCustomersAsync(CustomerListOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Searches customers (<c>GET /v1/customers/search</c>), paging with <c>next_page</c>.</summary>
    /// <param name="query">A Stripe search query, e.g. <c>metadata['organization_id']:'x'</c>.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The matching customers.</returns>
    IAsyncEnumerable<StripeCustomer> SearchCustomersAsync(string query, CancellationToken cancellationToken = default);

    /// <summary>Creates a subscription (<c>POST /v1/subscriptions</c>).</summary>
    /// <param name="options">The parameters.</param>
    /// <param name="requestOptions">Per-call settings such as the idempotency key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The subscription.</returns>
    Task<StripeSubscription> CreateSubscriptionAsync(SubscriptionCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default);

    /// <summary>Retrieves a subscription (<c>GET /v1/subscriptions/{id}</c>).</summary>
    /// <param name="subscriptionId">The subscription id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The subscription.</returns>
    Task<StripeSubscription> GetSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>Updates a subscription (<c>POST /v1/subscriptions/{id}</c>).</summary>
    /// <param name="subscriptionId">The subscription id.</param>
    /// <param name="options">The changes.</param>
    /// <param name="requestOptions">Per-call settings such as the idempotency key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The updated subscription.</returns>
    Task<StripeSubscription> UpdateSubscriptionAsync(string subscriptionId, SubscriptionUpdateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default);

    /// <summary>Cancels a subscription now (<c>DELETE /v1/subscriptions/{id}</c>).</summary>
    /// <param name="subscriptionId">The subscription id.</param>
    /// <param name="requestOptions">Per-call settings; DELETE carries no idempotency key (it is idempotent).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The canceled subscription.</returns>
    Task<StripeSubscription> CancelSubscriptionAsync(string subscriptionId, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default);

    /// <summary>Lists subscriptions (<c>GET /v1/subscriptions</c>).</summary>
    /// <param name="options">Filters; <c>Status = "all"</c> includes canceled ones.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The subscriptions.</returns>
    IAsyncEnumerable<StripeSubscription> ListSubscriptionsAsync(SubscriptionListOptions options, CancellationToken cancellationToken = default);

    /// <summary>Creates a product (<c>POST /v1/products</c>).</summary>
    /// <param name="options">The parameters.</param>
    /// <param name="requestOptions">Per-call settings such as the idempotency key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The product.</returns>
    Task<StripeProduct> CreateProductAsync(ProductCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default);

    /// <summary>Lists products (<c>GET /v1/products</c>).</summary>
    /// <param name="options">Filters.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The products.</returns>
    IAsyncEnumerable<StripeProduct> ListProductsAsync(ProductListOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Creates a price (<c>POST /v1/prices</c>).</summary>
    /// <param name="options">The parameters.</param>
    /// <param name="requestOptions">Per-call settings such as the idempotency key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The price.</returns>
    Task<StripePrice> CreatePriceAsync(PriceCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default);

    /// <summary>Lists prices (<c>GET /v1/prices</c>).</summary>
    /// <param name="options">Filters (lookup keys, active, product).</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The prices.</returns>
    IAsyncEnumerable<StripePrice> ListPricesAsync(PriceListOptions options, CancellationToken cancellationToken = default);

    /// <summary>Creates a billing meter (<c>POST /v1/billing/meters</c>).</summary>
    /// <param name="options">The parameters.</param>
    /// <param name="requestOptions">Per-call settings such as the idempotency key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The meter.</returns>
    Task<StripeMeter> CreateMeterAsync(MeterCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default);

    /// <summary>Lists billing meters (<c>GET /v1/billing/meters</c>).</summary>
    /// <param name="options">Filters.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The meters.</returns>
    IAsyncEnumerable<StripeMeter> ListMetersAsync(MeterListOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Reports one meter event (<c>POST /v1/billing/meter_events</c>).</summary>
    /// <param name="options">The event.</param>
    /// <param name="requestOptions">Per-call settings such as the idempotency key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The accepted event (aggregation happens asynchronously).</returns>
    Task<StripeMeterEvent> CreateMeterEventAsync(MeterEventCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default);

    /// <summary>Lists a customer's aggregated usage (<c>GET /v1/billing/meters/{id}/event_summaries</c>).</summary>
    /// <param name="meterId">The meter id.</param>
    /// <param name="options">Customer and time range (required).</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The summaries.</returns>
    IAsyncEnumerable<StripeMeterEventSummary> ListMeterEventSummariesAsync(string meterId, MeterEventSummaryListOptions options, CancellationToken cancellationToken = default);

    /// <summary>Opens a v2 meter event stream session (<c>POST /v2/billing/meter_event_session</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The session with its short-lived token.</returns>
    Task<StripeMeterEventSession> CreateMeterEventSessionAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends up to 100 meter events on the v2 stream (<c>POST {MeterEventsApiBase}/v2/billing/meter_event_stream</c>).
    /// An expired session throws <see cref="StripeApiException"/> with <see cref="StripeApiException.ErrorType"/>
    /// <c>temporary_session_expired</c>: open a new session and send again.
    /// </summary>
    /// <param name="session">A session from <see cref="CreateMeterEventSessionAsync"/>.</param>
    /// <param name="events">The events (1 to 100).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when Stripe accepted the events.</returns>
    Task SendMeterEventStreamAsync(StripeMeterEventSession session, IReadOnlyList<MeterEventStreamItem> events, CancellationToken cancellationToken = default);

    /// <summary>Creates a Checkout session (<c>POST /v1/checkout/sessions</c>).</summary>
    /// <param name="options">The parameters.</param>
    /// <param name="requestOptions">Per-call settings such as the idempotency key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The session with the URL to redirect to.</returns>
    Task<StripeCheckoutSession> CreateCheckoutSessionAsync(CheckoutSessionCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default);

    /// <summary>Creates a customer portal session (<c>POST /v1/billing_portal/sessions</c>).</summary>
    /// <param name="options">The parameters.</param>
    /// <param name="requestOptions">Per-call settings such as the idempotency key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The session with the URL to redirect to.</returns>
    Task<StripePortalSession> CreatePortalSessionAsync(PortalSessionCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default);

    /// <summary>Lists invoices (<c>GET /v1/invoices</c>).</summary>
    /// <param name="options">Filters.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The invoices.</returns>
    IAsyncEnumerable<StripeInvoice> ListInvoicesAsync(InvoiceListOptions options, CancellationToken cancellationToken = default);

    /// <summary>Retrieves an invoice (<c>GET /v1/invoices/{id}</c>).</summary>
    /// <param name="invoiceId">The invoice id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The invoice.</returns>
    Task<StripeInvoice> GetInvoiceAsync(string invoiceId, CancellationToken cancellationToken = default);

    /// <summary>Previews the next invoice of a subscription (<c>POST /v1/invoices/create_preview</c>).</summary>
    /// <param name="options">Customer and subscription.</param>
    /// <param name="requestOptions">Per-call settings such as the idempotency key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The preview (it has no id).</returns>
    Task<StripeInvoice> PreviewInvoiceAsync(InvoicePreviewOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default);

    /// <summary>Retrieves an event (<c>GET /v1/events/{id}</c>).</summary>
    /// <param name="eventId">The event id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The event.</returns>
    Task<StripeEvent> GetEventAsync(string eventId, CancellationToken cancellationToken = default);

    /// <summary>Lists events of the last 30 days (<c>GET /v1/events</c>), newest first.</summary>
    /// <param name="options">Filters.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The events.</returns>
    IAsyncEnumerable<StripeEvent> ListEventsAsync(EventListOptions options, CancellationToken cancellationToken = default);
}
