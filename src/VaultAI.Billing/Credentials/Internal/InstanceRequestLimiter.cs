using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Credentials.Internal;

/// <summary>
/// The limits of <see cref="InstanceRateLimitOptions"/>. ASP.NET Core's rate-limiting middleware runs before the endpoint,
/// when the token has not been checked yet, so it can only key on what the caller sent; this limiter is called by the
/// authenticator, which knows the verified organization (or that there is none).
/// </summary>
internal sealed class InstanceRequestLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<Guid> _organizations;
    private readonly PartitionedRateLimiter<string> _addresses;

    public InstanceRequestLimiter(IOptions<InstanceRateLimitOptions> options)
    {
        var settings = options.Value;
        _organizations = PartitionedRateLimiter.Create<Guid, Guid>(id => RateLimitPartition.GetFixedWindowLimiter(id, _ => PerMinute(settings.RequestsPerMinutePerOrganization)));
        _addresses = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address, _ => PerMinute(settings.UnauthenticatedRequestsPerMinutePerAddress)));
    }

    /// <summary>429 when the client's address has spent its unauthenticated budget; spends nothing.</summary>
    public void EnsureAddressNotExhausted(HttpContext context)
    {
        using var lease = _addresses.AttemptAcquire(AddressKey(context), 0);
        ThrowIfRejected(lease);
    }

    /// <summary>Spends one unauthenticated request of the client's address; 429 when none is left.</summary>
    public void SpendAddress(HttpContext context)
    {
        using var lease = _addresses.AttemptAcquire(AddressKey(context));
        ThrowIfRejected(lease);
    }

    /// <summary>Spends one request of a verified organization; 429 when none is left.</summary>
    public void SpendOrganization(Guid organizationId)
    {
        using var lease = _organizations.AttemptAcquire(organizationId);
        ThrowIfRejected(lease);
    }

    public void Dispose()
    {
        _organizations.Dispose();
        _addresses.Dispose();
    }

    /// <summary>The client address; an IPv6 client by its /64, which one subscriber usually holds whole.</summary>
    internal static string AddressKey(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "none"; // in-process callers (tests, TestServer) share one budget
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes).ToString() + "/64";
        }

        return address.ToString();
    }

    private static FixedWindowRateLimiterOptions PerMinute(int permits) =>
        new() { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0, AutoReplenishment = true };

    private static void ThrowIfRejected(RateLimitLease lease)
    {
        if (lease.IsAcquired)
        {
            return;
        }

        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) && wait > TimeSpan.Zero ? wait : TimeSpan.FromMinutes(1);
        var seconds = (int)Math.Ceiling(retryAfter.TotalSeconds);
        throw new BillingException(429, "rate_limited", string.Create(CultureInfo.InvariantCulture, $"Too many requests; retry after {seconds} seconds."))
        {
            RetryAfter = TimeSpan.FromSeconds(seconds),
        };
    }
}
