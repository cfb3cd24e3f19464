using System.Net;
using System.Net.Http.Headers;

namespace VaultAI.Billing.Client.Tests;

public sealed class RetryAfterTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 3, 3, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Cap = TimeSpan.FromMinutes(2);

    private static HttpResponseMessage Response(HttpStatusCode status, RetryConditionHeaderValue? retryAfter)
    {
        var response = new HttpResponseMessage(status);
        response.Headers.RetryAfter = retryAfter;
        return response;
    }

    [Fact]
    public void RetryAfterDelay_DeltaSeconds_IsThatDelay()
    {
        using var response = Response(HttpStatusCode.TooManyRequests, new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)));

        Assert.Equal(TimeSpan.FromSeconds(7), BillingResilience.RetryAfterDelay(response, Now, Cap));
    }

    [Fact]
    public void RetryAfterDelay_HttpDate_IsTimeUntilThatDate()
    {
        using var response = Response(HttpStatusCode.ServiceUnavailable, new RetryConditionHeaderValue(Now.AddSeconds(90)));

        Assert.Equal(TimeSpan.FromSeconds(90), BillingResilience.RetryAfterDelay(response, Now, Cap));
    }

    [Fact]
    public void RetryAfterDelay_BeyondCap_IsCapped()
    {
        using var response = Response(HttpStatusCode.TooManyRequests, new RetryConditionHeaderValue(TimeSpan.FromHours(1)));

        Assert.Equal(Cap, BillingResilience.RetryAfterDelay(response, Now, Cap));
    }

    [Fact]
    public void RetryAfterDelay_DateInThePast_IsZero()
    {
        using var response = Response(HttpStatusCode.TooManyRequests, new RetryConditionHeaderValue(Now.AddSeconds(-5)));

        Assert.Equal(TimeSpan.Zero, BillingResilience.RetryAfterDelay(response, Now, Cap));
    }

    [Fact]
    public void RetryAfterDelay_NoHeaderOrOtherStatus_LeavesBackoffToTheRetryStrategy()
    {
        using var noHeader = Response(HttpStatusCode.TooManyRequests, null);
        using var serverError = Response(HttpStatusCode.InternalServerError, new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)));

        Assert.Null(BillingResilience.RetryAfterDelay(noHeader, Now, Cap));
        Assert.Null(BillingResilience.RetryAfterDelay(serverError, Now, Cap));
        Assert.Null(BillingResilience.RetryAfterDelay(null, Now, Cap));
    }
}
