using Microsoft.AspNetCore.Http;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Credentials.Internal;

/// <summary>Checks an instance's bearer token against the stored hash and the organization it claims to act for.</summary>
internal sealed class InstanceAuthenticator(
    IBillingStore store,
    CredentialCache cache,
    CredentialUseLog uses,
    TimeProvider timeProvider,
    InstanceRequestLimiter? limiter = null)
{
    private static readonly TimeSpan TouchInterval = TimeSpan.FromHours(1);

    /// <summary>
    /// Finds the credential of the request's bearer token; 401 when absent or unknown; 429 when rate limits are on
    /// (<see cref="InstanceRequestLimiter"/>) and the client address or the verified organization is over its limit.
    /// A token verified within <see cref="CredentialOptions.CacheDuration"/> is taken from this host's cache.
    /// </summary>
    public async Task<InstanceCredential> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var credential = FindCached(request, out var hash);
        if (credential is not null)
        {
            return credential;
        }

        return Accept(request.HttpContext, await store.FindActiveCredentialAsync(hash, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// The store's write that checks the token itself (<see cref="IFirstReportStore"/>), for a token <see cref="FindCached"/>
    /// did not find; <see langword="null"/> when the store has none, or when rate limits are on: the organization's budget is
    /// spent before anything is written, so its credential must be known first.
    /// </summary>
    public IFirstReportStore? FirstReportStore => limiter is null ? store as IFirstReportStore : null;

    /// <summary>
    /// The cached credential of the request's bearer token (spending its organization's budget when rate limits are on), or
    /// <see langword="null"/> when this host has not verified the token recently: then <paramref name="tokenHash"/> is what
    /// to verify, with <see cref="AuthenticateAsync"/> or in a <see cref="FirstReportStore"/> write followed by
    /// <see cref="Accept"/>. 401 when the header carries no token.
    /// </summary>
    public InstanceCredential? FindCached(HttpRequest request, out string tokenHash)
    {
        // An address that has spent its budget of failed attempts gets no further token checks: no guessing at speed.
        limiter?.EnsureAddressNotExhausted(request.HttpContext);
        var token = InstanceTokens.FromAuthorizationHeader(request.Headers.Authorization);
        if (token is null)
        {
            limiter?.SpendAddress(request.HttpContext);
            throw new BillingException(401, "missing_token", "Send the organization's billing token as 'Authorization: Bearer <token>'.", "Authorization");
        }

        tokenHash = InstanceTokens.Hash(token);
        var credential = cache.Find(tokenHash);
        if (credential is null)
        {
            return null;
        }

        // The lookup is by hash; compare again in constant time so the decision never depends on a short-circuiting string compare.
        if (!InstanceTokens.Matches(token, credential.TokenHash))
        {
            throw Invalid(request.HttpContext);
        }

        // Keyed on the organization the token was verified for: changing header text buys nothing.
        limiter?.SpendOrganization(credential.OrganizationId);
        return credential;
    }

    /// <summary>
    /// Takes the credential the database found for a token not cached: 401 when there is none (unknown, rotated or revoked),
    /// otherwise caches it and spends its organization's budget.
    /// </summary>
    public InstanceCredential Accept(HttpContext context, InstanceCredential? credential)
    {
        if (credential is null)
        {
            throw Invalid(context);
        }

        // The database matched the hash in its index; the constant-time comparison of FindCached covers every later request.
        cache.Add(credential);
        limiter?.SpendOrganization(credential.OrganizationId);
        return credential;
    }

    private BillingException Invalid(HttpContext context)
    {
        limiter?.SpendAddress(context);
        return new BillingException(401, "invalid_token", "The billing token is not valid (unknown, rotated or revoked). Ask the billing administrator for a new one.", "Authorization");
    }

    /// <summary>403 unless the credential belongs to <paramref name="organizationId"/>.</summary>
    public static void Authorize(InstanceCredential credential, Guid organizationId)
    {
        if (credential.OrganizationId != organizationId)
        {
            throw new BillingException(403, "forbidden_organization", "This billing token belongs to another organization.", "organization_id");
        }
    }

    /// <summary>Spends one unauthenticated request (a registration) of the client's address; 429 when none is left.</summary>
    public void SpendUnauthenticated(HttpContext context) => limiter?.SpendAddress(context);

    /// <summary>
    /// Records the use of a credential, at most once an hour per credential on this host. The request does not wait: the
    /// use joins the next batch of <see cref="CredentialUseLog"/>, written within a few seconds.
    /// </summary>
    public Task TouchAsync(InstanceCredential credential, CancellationToken cancellationToken)
    {
        if (cache.TryClaimTouch(credential, timeProvider.GetUtcNow(), TouchInterval))
        {
            uses.Record(credential.Id);
        }

        return Task.CompletedTask;
    }
}
