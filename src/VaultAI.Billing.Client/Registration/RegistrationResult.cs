namespace VaultAI.Billing.Client;

/// <summary>The outcome of registering this instance's organization with the billing host.</summary>
/// <param name="OrganizationId">The registered organization id.</param>
/// <param name="AlreadyRegistered"><see langword="true"/> when the organization existed and the stored token was accepted; no new token was issued.</param>
/// <param name="TokenIssued"><see langword="true"/> when the host issued a new token, which has been saved in the <see cref="IBillingTokenStore"/>.</param>
/// <param name="OrganizationStatus">The organization's status (<c>pending</c> until an administrator links it).</param>
/// <param name="StripeCustomerId">The Stripe customer id when the host links automatically; otherwise <see langword="null"/>.</param>
/// <param name="StripeSubscriptionId">The Stripe subscription id when the host links automatically; otherwise <see langword="null"/>.</param>
/// <param name="TrialEnd">The end of the trial when one was started; otherwise <see langword="null"/>.</param>
public sealed record RegistrationResult(
    Guid OrganizationId,
    bool AlreadyRegistered,
    bool TokenIssued,
    string? OrganizationStatus,
    string? StripeCustomerId,
    string? StripeSubscriptionId,
    DateTimeOffset? TrialEnd);
