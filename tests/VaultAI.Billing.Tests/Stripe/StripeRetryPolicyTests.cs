using System.Net;
using Polly;
using Polly.Timeout;
using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Tests.Stripe;

public sealed class StripeRetryPolicyTests
{
    [Theory]
    [InlineData(500, null, true)]
    [InlineData(503, null, true)]
    [InlineData(409, null, true)]
    [InlineData(429, null, false)]
    [InlineData(400, null, false)]
    [InlineData(402, null, false)]
    [InlineData(404, null, false)]
    [InlineData(503, "false", false)]
    [InlineData(409, "false", false)]
    [InlineData(400, "true", true)]
    [InlineData(429, "true", true)]
    public void ShouldRetry_Answer_FollowsStripesRules(int status, string? shouldRetryHeader, bool expected)
    {
        using var response = new HttpResponseMessage((HttpStatusCode)status);
        if (shouldRetryHeader is not null)
        {
            response.Headers.TryAddWithoutValidation("Stripe-Should-Retry", shouldRetryHeader);
        }

        Assert.Equal(expected, StripeRetryPolicy.ShouldRetry(Outcome.FromResult(response)));
    }

    [Fact]
    public void ShouldRetry_ConnectionErrorOrAttemptTimeout_Retries()
    {
        Assert.True(StripeRetryPolicy.ShouldRetry(Outcome.FromException<HttpResponseMessage>(new HttpRequestException("reset"))));
        Assert.True(StripeRetryPolicy.ShouldRetry(Outcome.FromException<HttpResponseMessage>(new TimeoutRejectedException())));
        Assert.False(StripeRetryPolicy.ShouldRetry(Outcome.FromException<HttpResponseMessage>(new OperationCanceledException())));
    }

    [Fact]
    public void RetryAfter_HonouredUpToTheCap_ElseTheBackoff()
    {
        var now = new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
        var cap = TimeSpan.FromSeconds(60);
        using var seconds = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        seconds.Headers.TryAddWithoutValidation("Retry-After", "7");
        using var tooLong = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        tooLong.Headers.TryAddWithoutValidation("Retry-After", "3600");
        using var date = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        date.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(now.AddSeconds(20));
        using var none = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);

        Assert.Equal(TimeSpan.FromSeconds(7), StripeRetryPolicy.RetryAfter(seconds, cap, now));
        Assert.Equal(cap, StripeRetryPolicy.RetryAfter(tooLong, cap, now));
        Assert.Equal(TimeSpan.FromSeconds(20), StripeRetryPolicy.RetryAfter(date, cap, now));
        Assert.Null(StripeRetryPolicy.RetryAfter(none, cap, now));
        Assert.Null(StripeRetryPolicy.RetryAfter(null, cap, now));
    }
}
