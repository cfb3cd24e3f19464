namespace VaultAI.Billing.Stripe;

/// <summary>Per-call settings of a Stripe request.</summary>
public sealed class StripeRequestOptions
{
    /// <summary>
    /// Gets the idempotency key sent as <c>Idempotency-Key</c> (at most 255 characters). Derive it from your own
    /// operation (e.g. <c>link:{orgId}:customer</c>) so that repeating the whole operation cannot act twice.
    /// </summary>
    /// <value>The default is <see langword="null"/>: the client generates <c>vaultai-{guid}</c> per call.
    /// Either way the same key is reused on every retry of the call. Ignored on GET and DELETE.</value>
    public string? IdempotencyKey { get; init; }
}
