namespace VaultAI.Billing.Stripe.Internal;

/// <summary>
/// Idempotency keys derived from our operation, not from one HTTP call: a crash-and-retry of the whole operation (or two
/// hosts at once) sends the same key, so Stripe acts once. Stripe.net sends them as <c>Idempotency-Key</c> through
/// <c>RequestOptions.IdempotencyKey</c>, and the resilience handler resends the same message on retries.
/// </summary>
internal static class StripeIdempotencyKeys
{
    public static string LinkCustomer(string organizationId) => $"link:{organizationId}:customer";

    public static string LinkSubscription(string organizationId) => $"link:{organizationId}:subscription";

    public static string Checkout(string organizationId, string requestFingerprint) => $"checkout:{organizationId}:{requestFingerprint}";

    public static string CancelAtPeriodEnd(string subscriptionId) => $"cancel:{subscriptionId}:period-end";

    public static string MeterEvent(string identifier) => "meter:" + identifier;
}
