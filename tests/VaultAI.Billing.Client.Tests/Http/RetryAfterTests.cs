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
    public void GetDelay_DeltaSeconds_IsThatDelay()
    {
        using var response = Response(HttpStatusCode.TooManyRequests, new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)));

        Assert.Equal(TimeSpan.FromSeconds(7), RetryAfter.GetDelay(response, Now, Cap));
    }

    [Fact]
    public void GetDelay_HttpDate_IsTimeUntilThatDate()
    {
        using var response = Response(HttpStatusCode.ServiceUnavailable, new RetryConditionHeaderValue(Now.AddSeconds(90)));

        Assert.Equal(TimeSpan.FromSeconds(90), RetryAfter.GetDelay(response, Now, Cap));
    }

    [Fact]
    public void GetDelay_BeyondCap_IsCapped()
    {
        using var response = Response(HttpStatusCode.TooManyRequests, new RetryConditionHeaderValue(TimeSpan.FromHours(1)));

        Assert.Equal(Cap, RetryAfter.GetDelay(response, Now, Cap));
    }

    [Fact]
    public void GetDelay_DateInThePast_IsZero()
    {
        using var response = Response(HttpStatusCode.TooManyRequests, new RetryConditionHeaderValue(Now.AddSeconds(-5)));

        Assert.Equal(TimeSpan.Zero, RetryAfter.GetDelay(response, Now, Cap));
    }

    [Fact]
    public void GetDelay_NoHeaderOrOtherStatus_LeavesBackoffToTheRetryStrategy()
    {
        using var noHeader = Response(HttpStatusCode.TooManyRequests, null);
        using var serverError = Response(HttpStatusCode.InternalServerError, new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)));

        Assert.Null(RetryAfter.GetDelay(noHeader, Now, Cap));
        Assert.Null(RetryAfter.GetDelay(serverError, Now, Cap));
        Assert.Null(RetryAfter.GetDelay(null, Now, Cap));
    }
}
