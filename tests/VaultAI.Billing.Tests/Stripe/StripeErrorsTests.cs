using System.Net;
using Polly.Timeout;
using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Tests.Stripe;

public sealed class StripeErrorsTests
{
    [Theory]
    [InlineData(400, "invalid_request_error", true)]
    [InlineData(402, "card_error", true)]
    [InlineData(404, "invalid_request_error", true)]
    [InlineData(408, "api_error", false)]
    [InlineData(409, "api_error", false)]
    [InlineData(429, "rate_limit_error", false)]
    [InlineData(500, "api_error", false)]
    [InlineData(401, "temporary_session_expired", false)]
    public void IsPermanent_ByStatusAndType(int status, string type, bool expected)
    {
        var exception = new global::Stripe.StripeException((HttpStatusCode)status, new global::Stripe.StripeError { Type = type, Message = "m" }, "m");
        Assert.Equal(expected, StripeErrors.IsPermanent(exception));
    }

    [Fact]
    public async Task GuardAsync_CardError_Is402CardErrorWithStripesMessageAndCodes()
    {
        var card = new global::Stripe.StripeException(HttpStatusCode.PaymentRequired, new global::Stripe.StripeError { Type = "card_error", Code = "card_declined", DeclineCode = "insufficient_funds", Message = "Your card was declined." }, "Your card was declined.");

        var problem = await Assert.ThrowsAsync<BillingException>(() => StripeErrors.GuardAsync<int>("create the subscription", () => throw card, CancellationToken.None));

        Assert.Equal(402, problem.StatusCode);
        Assert.Equal("stripe_card_error", problem.Code);
        Assert.Equal("card_declined", problem.StripeErrorCode);
        Assert.Equal("insufficient_funds", problem.DeclineCode);
        Assert.Contains("Your card was declined.", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GuardAsync_InvalidRequest_Is502StripeErrorWithStripesCode()
    {
        var invalid = new global::Stripe.StripeException(HttpStatusCode.BadRequest, new global::Stripe.StripeError { Type = "invalid_request_error", Code = "resource_missing", Message = "No such price: 'price_x'" }, "No such price");

        var problem = await Assert.ThrowsAsync<BillingException>(() => StripeErrors.GuardAsync<int>("create the subscription", () => throw invalid, CancellationToken.None));

        Assert.Equal(502, problem.StatusCode);
        Assert.Equal("stripe_error", problem.Code);
        Assert.Equal("resource_missing", problem.StripeErrorCode);
        Assert.Null(problem.DeclineCode);
    }

    [Fact]
    public async Task GuardAsync_AttemptTimeoutOrConnectionError_Is502Unreachable()
    {
        var timeout = await Assert.ThrowsAsync<BillingException>(() => StripeErrors.GuardAsync<int>("x", () => throw new TimeoutRejectedException(), CancellationToken.None));
        var reset = await Assert.ThrowsAsync<BillingException>(() => StripeErrors.GuardAsync<int>("x", () => throw new HttpRequestException("reset"), CancellationToken.None));

        Assert.Equal(("stripe_unreachable", 502), (timeout.Code, timeout.StatusCode));
        Assert.Equal(("stripe_unreachable", 502), (reset.Code, reset.StatusCode));
    }
}
