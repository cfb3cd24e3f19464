using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Credentials.Internal;

/// <summary>Checks an instance's bearer token against the stored hash and the organization it claims to act for.</summary>
internal sealed partial class InstanceAuthenticator(
    IBillingStore store,
    CredentialCache cache,
    TimeProvider timeProvider,
    ILogger<InstanceAuthenticator> logger,
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
    /// Records the use of a credential, at most once an hour per credential on this host, in the background: the request
    /// does not wait for it, and a failure only loses a "last used" time.
    /// </summary>
    public Task TouchAsync(InstanceCredential credential, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        if (!cache.TryClaimTouch(credential, now, TouchInterval))
        {
            return Task.CompletedTask;
        }

        // Not the request's token: the write should finish even when the caller has gone.
        _ = TouchInBackgroundAsync(credential.Id, now);
        return Task.CompletedTask;
    }

    private async Task TouchInBackgroundAsync(Guid credentialId, DateTimeOffset now)
    {
        try
        {
            await store.TouchCredentialAsync(credentialId, now, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Best effort by design: a lost "last used" time must never surface anywhere.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            LogTouchFailed(logger, credentialId, exception);
        }
    }

    [LoggerMessage(EventId = 1603, Level = LogLevel.Debug, Message = "Could not record the last use of credential {CredentialId}")]
    private static partial void LogTouchFailed(ILogger logger, Guid credentialId, Exception exception);
}
