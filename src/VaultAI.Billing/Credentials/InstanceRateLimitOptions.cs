using System.ComponentModel.DataAnnotations;

namespace VaultAI.Billing.Credentials;

/// <summary>
/// Rate limits of the instance routes, applied where the library authenticates (see
/// <c>AddInstanceRateLimits</c>): a budget per organization for requests with a valid token, and a budget per
/// client address for requests that carry no valid token (registrations, missing or wrong tokens). A caller cannot
/// escape either by varying header text: the first is keyed on the organization the token was verified for, the second on
/// <see cref="Microsoft.AspNetCore.Http.ConnectionInfo.RemoteIpAddress"/> (IPv6 by its /64 prefix), which only the host's
/// forwarded-headers setting may rewrite. The Stripe webhook and the admin routes are not limited here.
/// </summary>
public sealed class InstanceRateLimitOptions
{
    /// <summary>Requests a minute that one organization's valid token may make.</summary>
    /// <value>The default value is 60.</value>
    [Range(1, 1_000_000)]
    public int RequestsPerMinutePerOrganization { get; set; } = 60;

    /// <summary>
    /// Requests a minute, from one client address, that are not authenticated by a valid token: registrations and
    /// requests with a missing, unknown, rotated or revoked token. Once spent, that address's token checks stop too (429),
    /// so tokens cannot be guessed at speed.
    /// </summary>
    /// <value>The default value is 20.</value>
    [Range(1, 1_000_000)]
    public int UnauthenticatedRequestsPerMinutePerAddress { get; set; } = 20;
}
