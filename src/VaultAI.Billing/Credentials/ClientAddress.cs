using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;

namespace VaultAI.Billing.Credentials;

/// <summary>
/// The client address rate limits partition on: <see cref="ConnectionInfo.RemoteIpAddress"/> (which only the host's
/// forwarded-headers setting may rewrite), an IPv4-mapped address as IPv4, and an IPv6 client by its /64 prefix, which one
/// subscriber usually holds whole. The instance limits use it; a host can use it for its own limits (admin API keys).
/// </summary>
public static class ClientAddress
{
    /// <summary>The partition key of the request's client address; <c>none</c> for in-process callers without an address.</summary>
    /// <param name="context">The request.</param>
    /// <returns>An IPv4 address, an IPv6 /64 prefix such as <c>2001:db8:1:2::/64</c>, or <c>none</c>.</returns>
    public static string PartitionKey(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
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
}
