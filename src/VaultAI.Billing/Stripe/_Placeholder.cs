// TEMPORARY: shapes of the Stripe client being written on the stripe-client branch. Deleted at merge.
#pragma warning disable CS1591, CA1040
using System.Net;
namespace VaultAI.Billing.Stripe;
public interface IStripeClient
{
    Task<StripeCustomer> CreateCustomerAsync(CustomerCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default);
    IAsyncEnumerable<StripeCustomer> SearchCustomersAsync(string query, CancellationToken cancellationToken = default);
    Task<StripeSubscription> CreateSubscriptionAsync(SubscriptionCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default);
    Task<StripeSubscription> GetSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default);
    Task<StripeSubscription> UpdateSubscriptionAsync(string subscriptionId, SubscriptionUpdateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default);
    Task<StripeSubscription> CancelSubscriptionAsync(string subscriptionId, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default);
    IAsyncEnumerable<StripeSubscription> ListSubscriptionsAsync(SubscriptionListOptions options, CancellationToken cancellationToken = default);
    Task<StripeMeterEvent> CreateMeterEventAsync(MeterEventCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default);
    Task<StripeMeterEventSession> CreateMeterEventSessionAsync(CancellationToken cancellationToken = default);
    Task SendMeterEventStreamAsync(StripeMeterEventSession session, IReadOnlyList<MeterEventStreamItem> events, CancellationToken cancellationToken = default);
}
public sealed class StripeRequestOptions { public string? IdempotencyKey { get; init; } }
public sealed class StripeClientOptions { public string? ApiKey { get; set; } public Uri ApiBase { get; set; } = new("https://api.stripe.com"); public Uri MeterEventsApiBase { get; set; } = new("https://meter-events.stripe.com"); public int MaxRetries { get; set; } = 2; public TimeSpan InitialRetryDelay { get; set; } public TimeSpan MaxRetryDelay { get; set; } }
public sealed class StripeCustomer { public string Id { get; init; } = ""; public string? Email { get; init; } public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>(); }
public sealed class StripePrice { public string Id { get; init; } = ""; }
public sealed class StripeSubscriptionItem { public string Id { get; init; } = ""; public StripePrice? Price { get; init; } public DateTimeOffset? CurrentPeriodStart { get; init; } public DateTimeOffset? CurrentPeriodEnd { get; init; } }
public sealed class StripeSubscription { public string Id { get; init; } = ""; public string Customer { get; init; } = ""; public string Status { get; init; } = ""; public IReadOnlyList<StripeSubscriptionItem> Items { get; init; } = []; public DateTimeOffset? TrialEnd { get; init; } public DateTimeOffset? CurrentPeriodStart { get; init; } public DateTimeOffset? CurrentPeriodEnd { get; init; } public bool CancelAtPeriodEnd { get; init; } public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>(); public DateTimeOffset Created { get; init; } }
public sealed class CustomerCreateOptions { public string? Email { get; set; } public string? Name { get; set; } public IDictionary<string, string?>? Metadata { get; set; } }
public sealed class SubscriptionItemOptions { public string? Price { get; set; } public long? Quantity { get; set; } }
public sealed class SubscriptionCreateOptions { public string? Customer { get; set; } public IList<SubscriptionItemOptions>? Items { get; set; } public int? TrialPeriodDays { get; set; } public IDictionary<string, string?>? Metadata { get; set; } public string? PaymentBehavior { get; set; } }
public sealed class SubscriptionListOptions { public string? Customer { get; set; } public string? Status { get; set; } }
public sealed class MeterEventCreateOptions { public string? EventName { get; set; } public string? StripeCustomerId { get; set; } public long Value { get; set; } public string? Identifier { get; set; } public DateTimeOffset Timestamp { get; set; } }
public sealed class StripeMeterEvent { public string? Identifier { get; init; } }
public sealed class StripeMeterEventSession { public string? AuthenticationToken { get; init; } public DateTimeOffset ExpiresAt { get; init; } }
public sealed class MeterEventStreamItem { public string? EventName { get; set; } public string? Identifier { get; set; } public DateTimeOffset Timestamp { get; set; } public string? StripeCustomerId { get; set; } public long Value { get; set; } }
public sealed class StripeApiException : Exception { public HttpStatusCode StatusCode { get; } public string? ErrorType { get; } public string? Code { get; } public string? RequestId { get; } public string? StripeMessage { get; } }
public sealed class SubscriptionUpdateOptions { public bool? CancelAtPeriodEnd { get; set; } }
public static class PlaceholderStripeRegistration { public static void AddVaultAIStripeClient(this Microsoft.Extensions.DependencyInjection.IServiceCollection services, Action<StripeClientOptions>? configure = null) { } }
