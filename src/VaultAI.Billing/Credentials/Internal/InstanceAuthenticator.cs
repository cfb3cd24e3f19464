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
        // An address that has spent its budget of failed attempts gets no further token checks: no guessing at speed.
        limiter?.EnsureAddressNotExhausted(request.HttpContext);
        var token = InstanceTokens.FromAuthorizationHeader(request.Headers.Authorization);
        if (token is null)
        {
            limiter?.SpendAddress(request.HttpContext);
            throw new BillingException(401, "missing_token", "Send the organization's billing token as 'Authorization: Bearer <token>'.", "Authorization");
        }

        var hash = InstanceTokens.Hash(token);
        var credential = cache.Find(hash);
        if (credential is null)
        {
            credential = await store.FindActiveCredentialAsync(hash, cancellationToken).ConfigureAwait(false);
            if (credential is not null)
            {
                cache.Add(credential);
            }
        }

        // The lookup is by hash; compare again in constant time so the decision never depends on a short-circuiting string compare.
        if (credential is null || !InstanceTokens.Matches(token, credential.TokenHash))
        {
            limiter?.SpendAddress(request.HttpContext);
            throw new BillingException(401, "invalid_token", "The billing token is not valid (unknown, rotated or revoked). Ask the billing administrator for a new one.", "Authorization");
        }

        // Keyed on the organization the token was verified for: changing header text buys nothing.
        limiter?.SpendOrganization(credential.OrganizationId);
        return credential;
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
