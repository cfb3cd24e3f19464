using System.Net;
using VaultAI.Billing.Testing.Tests.Support;

namespace VaultAI.Billing.Testing.Tests.Faults;

public class FaultInjectionTests
{
    [Fact]
    public async Task StatusFault_AnswersForCountRequestsThenSucceeds_WithoutSideEffects()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        stripe.InjectFault("/v1/customers*", StripeFault.Status(500, shouldRetry: true), count: 2);

        var first = await http.PostAsync("/v1/customers", "email=a%40example.com", "k1");
        var second = await http.PostAsync("/v1/customers", "email=a%40example.com", "k1");
        var third = await http.PostAsync("/v1/customers", "email=a%40example.com", "k1");

        Assert.Equal(HttpStatusCode.InternalServerError, first.Status);
        Assert.Equal("api_error", first.Error["type"]!.GetValue<string>());
        Assert.Equal("true", first.Header("Stripe-Should-Retry"));
        Assert.StartsWith("req_", first.Header("Request-Id"));
        Assert.Equal(HttpStatusCode.InternalServerError, second.Status);
        Assert.Equal(HttpStatusCode.OK, third.Status);
        Assert.Null(third.Header("Idempotent-Replayed"));
        Assert.Single(stripe.State.Customers);
        Assert.Equal([true, true, false], stripe.Requests.Select(r => r.Faulted));
        Assert.Equal([500, 500, 200], stripe.Requests.Select(r => r.StatusCode));
    }

    [Fact]
    public async Task RateLimitFault_CarriesRetryAfterAndShouldRetryFalse()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        stripe.InjectFault("/v1/billing/meter_events", StripeFault.Status(429, shouldRetry: false, retryAfterSeconds: 2));

        var response = await http.PostAsync("/v1/billing/meter_events", "event_name=x&payload[stripe_customer_id]=cus_1&payload[value]=1");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.Status);
        Assert.Equal("false", response.Header("Stripe-Should-Retry"));
        Assert.Equal("2", response.Header("Retry-After"));
        Assert.Equal("rate_limit", response.Error["code"]!.GetValue<string>());
        Assert.Empty(stripe.State.MeterEvents);
    }

    [Fact]
    public async Task NonMatchingPath_IsNotFaulted()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        stripe.InjectFault("/v1/customers", StripeFault.Status(503));

        var product = await http.PostAsync("/v1/products", "name=Pro");
        var customer = await http.PostAsync("/v1/customers", "email=a%40example.com");

        Assert.Equal(HttpStatusCode.OK, product.Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, customer.Status);
    }

    [Fact]
    public async Task DropConnection_FailsTheRequestAndHasNoEffect()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        stripe.InjectFault("/v1/customers", StripeFault.DropConnection());

        await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync("/v1/customers", "email=a%40example.com"));
        var retry = await http.PostAsync("/v1/customers", "email=a%40example.com");

        Assert.Equal(HttpStatusCode.OK, retry.Status);
        Assert.Single(stripe.State.Customers);
        var dropped = stripe.Requests[0];
        Assert.True(dropped.Faulted);
        Assert.Equal(0, dropped.StatusCode);
    }

    [Fact]
    public async Task DelayFault_OutlastsAClientTimeout_ThenTheNextRequestIsNormal()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        http.Client.Timeout = TimeSpan.FromMilliseconds(200);
        stripe.InjectFault("/v1/customers", StripeFault.Delay(TimeSpan.FromSeconds(30)));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => http.PostAsync("/v1/customers", "email=a%40example.com"));

        // A client without the short timeout: on a busy machine even a normal request may take over 200 ms.
        using var patient = new StripeHttp(stripe);
        var next = await patient.PostAsync("/v1/customers", "email=b%40example.com");

        Assert.Equal(HttpStatusCode.OK, next.Status);
        Assert.Equal("b@example.com", Assert.Single(stripe.State.Customers).Email);
    }

    [Fact]
    public async Task DelayFault_ShortDelay_IsHandledNormallyAndRecordedAsFaulted()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        using var http = new StripeHttp(stripe);
        stripe.InjectFault("/v1/customers", StripeFault.Delay(TimeSpan.FromMilliseconds(20)));

        var response = await http.PostAsync("/v1/customers", "email=a%40example.com");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Single(stripe.State.Customers);
        var recorded = Assert.Single(stripe.Requests);
        Assert.True(recorded.Faulted);
        Assert.Equal(200, recorded.StatusCode);
    }
}
