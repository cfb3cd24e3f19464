using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Credentials;
using VaultAI.Billing.Credentials.Internal;

namespace VaultAI.Billing.Tests.Credentials;

public sealed class InstanceRequestLimiterTests
{
    [Theory]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("::ffff:203.0.113.9", "203.0.113.9")]
    [InlineData("203.0.113.9", "203.0.113.9")]
    public void AddressKey_ClientAddress_IsTheAddressOrItsIpv6Prefix(string address, string expected)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);

        Assert.Equal(expected, InstanceRequestLimiter.AddressKey(context));
    }

    [Fact]
    public void SpendAddress_BudgetSpent_Throws429WithRetryAfterAndStopsTheProbeToo()
    {
        using var limiter = Limiter(perOrganization: 5, perAddress: 2);
        var context = From("198.51.100.1");
        limiter.SpendAddress(context);
        limiter.SpendAddress(context);

        var spent = Assert.Throws<BillingException>(() => limiter.SpendAddress(context));
        var probe = Assert.Throws<BillingException>(() => limiter.EnsureAddressNotExhausted(context));

        Assert.Equal((429, "rate_limited"), (spent.StatusCode, spent.Code));
        Assert.True(spent.RetryAfter > TimeSpan.Zero && spent.RetryAfter <= TimeSpan.FromMinutes(1), $"Retry-After {spent.RetryAfter}");
        Assert.Equal(429, probe.StatusCode);
        limiter.EnsureAddressNotExhausted(From("198.51.100.2")); // another address is untouched
    }

    [Fact]
    public void EnsureAddressNotExhausted_BudgetLeft_SpendsNothing()
    {
        using var limiter = Limiter(perOrganization: 5, perAddress: 1);
        var context = From("198.51.100.1");

        for (var i = 0; i < 10; i++)
        {
            limiter.EnsureAddressNotExhausted(context);
        }

        limiter.SpendAddress(context); // the one permit is still there
        Assert.Throws<BillingException>(() => limiter.SpendAddress(context));
    }

    [Fact]
    public void SpendOrganization_EachOrganization_HasItsOwnBudget()
    {
        using var limiter = Limiter(perOrganization: 1, perAddress: 1);
        var first = Guid.NewGuid();
        limiter.SpendOrganization(first);

        var over = Assert.Throws<BillingException>(() => limiter.SpendOrganization(first));
        limiter.SpendOrganization(Guid.NewGuid());

        Assert.Equal(429, over.StatusCode);
    }

    private static InstanceRequestLimiter Limiter(int perOrganization, int perAddress) =>
        new(Options.Create(new InstanceRateLimitOptions { RequestsPerMinutePerOrganization = perOrganization, UnauthenticatedRequestsPerMinutePerAddress = perAddress }), NullLogger<InstanceRequestLimiter>.Instance);

    private static DefaultHttpContext From(string address)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);
        return context;
    }
}
