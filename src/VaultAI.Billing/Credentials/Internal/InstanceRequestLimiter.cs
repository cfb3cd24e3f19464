using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Credentials.Internal;

/// <summary>
/// The limits of <see cref="InstanceRateLimitOptions"/>. ASP.NET Core's rate-limiting middleware runs before the endpoint,
/// when the token has not been checked yet, so it can only key on what the caller sent; this limiter is called by the
/// authenticator, which knows the verified organization (or that there is none).
/// </summary>
internal sealed partial class InstanceRequestLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<Guid> _organizations;
    private readonly PartitionedRateLimiter<string> _addresses;
    private readonly ILogger<InstanceRequestLimiter> _logger;

    public InstanceRequestLimiter(IOptions<InstanceRateLimitOptions> options, ILogger<InstanceRequestLimiter> logger)
    {
        _logger = logger;
        var settings = options.Value;
        _organizations = PartitionedRateLimiter.Create<Guid, Guid>(id => RateLimitPartition.GetFixedWindowLimiter(id, _ => PerMinute(settings.RequestsPerMinutePerOrganization)));
        _addresses = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address, _ => PerMinute(settings.UnauthenticatedRequestsPerMinutePerAddress)));
    }

    /// <summary>429 when the client's address has spent its unauthenticated budget; spends nothing.</summary>
    public void EnsureAddressNotExhausted(HttpContext context)
    {
        var key = AddressKey(context);
        using var lease = _addresses.AttemptAcquire(key, 0);
        if (!lease.IsAcquired)
        {
            LogAddressLimited(_logger, key);
            throw RateLimited(lease);
        }
    }

    /// <summary>Spends one unauthenticated request of the client's address; 429 when none is left.</summary>
    public void SpendAddress(HttpContext context)
    {
        var key = AddressKey(context);
        using var lease = _addresses.AttemptAcquire(key);
        if (!lease.IsAcquired)
        {
            LogAddressLimited(_logger, key);
            throw RateLimited(lease);
        }
    }

    /// <summary>Spends one request of a verified organization; 429 when none is left.</summary>
    public void SpendOrganization(Guid organizationId)
    {
        using var lease = _organizations.AttemptAcquire(organizationId);
        if (!lease.IsAcquired)
        {
            LogOrganizationLimited(_logger, organizationId);
            throw RateLimited(lease);
        }
    }

    public void Dispose()
    {
        _organizations.Dispose();
        _addresses.Dispose();
    }

    /// <summary>The client address; an IPv6 client by its /64, which one subscriber usually holds whole.</summary>
    internal static string AddressKey(HttpContext context) => ClientAddress.PartitionKey(context);

    private static FixedWindowRateLimiterOptions PerMinute(int permits) =>
        new() { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true };

    private static BillingException RateLimited(RateLimitLease lease)
    {
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) && wait > TimeSpan.Zero ? wait : TimeSpan.FromMinutes(1);
        var seconds = (int)Math.Ceiling(retryAfter.TotalSeconds);
        return new BillingException(429, "rate_limited", string.Create(CultureInfo.InvariantCulture, $"Too many requests; retry after {seconds} seconds."))
        {
            RetryAfter = TimeSpan.FromSeconds(seconds),
        };
    }

    // Debug, not warning: a caller over its limit is answered and costs nothing more, and a flood must not become a log flood.
    [LoggerMessage(EventId = 1601, Level = LogLevel.Debug, Message = "Client address {AddressKey} is over its limit of unauthenticated instance requests")]
    private static partial void LogAddressLimited(ILogger logger, string addressKey);

    [LoggerMessage(EventId = 1602, Level = LogLevel.Debug, Message = "Organization {OrganizationId} is over its limit of instance requests")]
    private static partial void LogOrganizationLimited(ILogger logger, Guid organizationId);
}
