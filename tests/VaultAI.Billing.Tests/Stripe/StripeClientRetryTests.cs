using System.Net;
using Microsoft.Extensions.Logging;
using VaultAI.Billing.Stripe;

namespace VaultAI.Billing.Tests.Stripe;

public sealed class StripeClientRetryTests
{
    private static Task<StripeCustomer> CreateCustomer(IStripeClient client, string? key = null) =>
        client.CreateCustomerAsync(new CustomerCreateOptions { Email = "a@example.com" }, key is null ? null : new StripeRequestOptions { IdempotencyKey = key });

    public static TheoryData<int, string?> RetriedAnswers => new()
    {
        { 500, null },
        { 502, null },
        { 503, null },
        { 409, null },
        { 400, "true" },
        { 429, null },
    };

    [Theory]
    [MemberData(nameof(RetriedAnswers))]
    public async Task CreateCustomer_RetryableAnswerThenSuccess_RetriesWithSameIdempotencyKey(int status, string? shouldRetry)
    {
        await using var server = await FakeStripeServer.StartAsync();
        var headers = shouldRetry is null ? [] : new[] { ("Stripe-Should-Retry", shouldRetry) };
        server.Enqueue(ScriptedResponse.Error(status, "api_error", headers: headers), ScriptedResponse.Json(StripeJson.Customer()));

        var customer = await CreateCustomer(server.CreateClient());

        Assert.Equal("cus_123", customer.Id);
        Assert.Equal(2, server.Requests.Count);
        var keys = server.Requests.Select(r => r.Header("Idempotency-Key")).Distinct().ToList();
        Assert.StartsWith("vaultai-", Assert.Single(keys), StringComparison.Ordinal);
        Assert.All(server.Requests, r => Assert.Equal("email=a%40example.com", r.Body));
    }

    [Fact]
    public async Task CreateCustomer_ConnectionDropped_RetriesWithCallersKey()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.Enqueue(ScriptedResponse.Dropped(), ScriptedResponse.Dropped(), ScriptedResponse.Json(StripeJson.Customer()));

        var customer = await CreateCustomer(server.CreateClient(), key: "link:org_1:customer");

        Assert.Equal("cus_123", customer.Id);
        Assert.Equal(3, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Equal("link:org_1:customer", r.Header("Idempotency-Key")));
    }

    [Fact]
    public async Task CreateCustomer_ConnectionDroppedEveryTime_ThrowsHttpRequestExceptionAfterMaxRetries()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.Enqueue(ScriptedResponse.Dropped(), ScriptedResponse.Dropped(), ScriptedResponse.Dropped(), ScriptedResponse.Json(StripeJson.Customer()));

        await Assert.ThrowsAsync<HttpRequestException>(() => CreateCustomer(server.CreateClient()));

        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task TwoCalls_GetDifferentGeneratedKeys()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.Enqueue(ScriptedResponse.Json(StripeJson.Customer()), ScriptedResponse.Json(StripeJson.Customer()));
        var client = server.CreateClient();

        await CreateCustomer(client);
        await CreateCustomer(client);

        var keys = server.Requests.Select(r => r.Header("Idempotency-Key")).ToList();
        Assert.Equal(2, keys.Distinct().Count());
    }

    public static TheoryData<int, string?> NotRetriedAnswers => new()
    {
        { 400, null },
        { 401, null },
        { 402, null },
        { 403, null },
        { 404, null },
        { 500, "false" },
        { 429, "false" },
        { 409, "false" },
    };

    [Theory]
    [MemberData(nameof(NotRetriedAnswers))]
    public async Task CreateCustomer_NonRetryableAnswer_ThrowsAfterOneAttempt(int status, string? shouldRetry)
    {
        await using var server = await FakeStripeServer.StartAsync();
        var headers = shouldRetry is null ? [] : new[] { ("Stripe-Should-Retry", shouldRetry) };
        server.Enqueue(ScriptedResponse.Error(status, "invalid_request_error", headers: headers), ScriptedResponse.Json(StripeJson.Customer()));

        var ex = await Assert.ThrowsAsync<StripeApiException>(() => CreateCustomer(server.CreateClient()));

        Assert.Equal((HttpStatusCode)status, ex.StatusCode);
        Assert.Single(server.Requests);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task CreateCustomer_AlwaysFailing_MakesMaxRetriesPlusOneAttempts(int maxRetries)
    {
        await using var server = await FakeStripeServer.StartAsync();
        for (var i = 0; i < 6; i++)
        {
            server.Enqueue(ScriptedResponse.Error(503, "api_error"));
        }

        var ex = await Assert.ThrowsAsync<StripeApiException>(() => CreateCustomer(server.CreateClient(server.Options(maxRetries))));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ex.StatusCode);
        Assert.Equal(maxRetries + 1, server.Requests.Count);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("1", 1000)]
    [InlineData("3600", 2000)]
    public async Task CreateCustomer_429WithRetryAfter_WaitsRetryAfterCappedAtMaxRetryAfter(string retryAfter, int expectedMs)
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.Enqueue(ScriptedResponse.Error(429, "invalid_request_error", "rate_limit", headers: ("Retry-After", retryAfter)), ScriptedResponse.Json(StripeJson.Customer()));
        var clock = new RecordingTimeProvider();
        var options = server.Options();
        options.MaxRetryAfter = TimeSpan.FromSeconds(2);

        await CreateCustomer(server.CreateClient(options, clock));

        Assert.Equal(2, server.Requests.Count);

        // A zero delay completes without a timer, so nothing is recorded for it.
        Assert.Equal(expectedMs == 0 ? [] : [TimeSpan.FromMilliseconds(expectedMs)], clock.Delays.ToArray());
    }

    [Fact]
    public async Task CreateCustomer_RepeatedFailures_BackoffDoublesWithJitterAndCap()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.Enqueue(
            ScriptedResponse.Error(500, "api_error"),
            ScriptedResponse.Error(500, "api_error"),
            ScriptedResponse.Error(500, "api_error"),
            ScriptedResponse.Error(500, "api_error"),
            ScriptedResponse.Json(StripeJson.Customer()));
        var clock = new RecordingTimeProvider();
        var options = server.Options(maxRetries: 4);
        options.InitialRetryDelay = TimeSpan.FromMilliseconds(500);
        options.MaxRetryDelay = TimeSpan.FromSeconds(1.5);

        await CreateCustomer(server.CreateClient(options, clock));

        var delays = clock.Delays.Select(d => d.TotalMilliseconds).ToArray();
        var expectedBases = new[] { 500d, 1000d, 1500d, 1500d };
        Assert.Equal(4, delays.Length);
        for (var i = 0; i < delays.Length; i++)
        {
            Assert.InRange(delays[i], expectedBases[i] * 0.5, expectedBases[i]);
        }
    }

    [Fact]
    public async Task CreateCustomer_CancelledDuringBackoff_ThrowsOperationCanceled()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.Enqueue(ScriptedResponse.Error(500, "api_error"), ScriptedResponse.Json(StripeJson.Customer()));
        var options = server.Options();
        options.InitialRetryDelay = TimeSpan.FromSeconds(30);
        options.MaxRetryDelay = TimeSpan.FromSeconds(30);
        using var cts = new CancellationTokenSource();
        var client = server.CreateClient(options);

        var call = client.CreateCustomerAsync(new CustomerCreateOptions { Email = "a@example.com" }, cancellationToken: cts.Token);
        while (server.Requests.Count == 0)
        {
            await Task.Delay(5);
        }

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task GetCustomer_AttemptTimesOut_RetriesAndSucceeds()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.Enqueue(ScriptedResponse.Json(StripeJson.Customer()) with { Delay = TimeSpan.FromSeconds(30) }, ScriptedResponse.Json(StripeJson.Customer()));
        var options = server.Options(maxRetries: 1);
        // Long enough for the second, normal answer on a busy machine; the first is held for 30 s.
        options.Timeout = TimeSpan.FromSeconds(2);
        using var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));

        var customer = await server.CreateClient(options, logger: factory.CreateLogger("Stripe")).GetCustomerAsync("cus_123");

        Assert.Equal("cus_123", customer.Id);
        Assert.Single(logs.Messages, m => m.Contains("(TimeoutException)", StringComparison.Ordinal) && m.Contains("retrying", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetCustomer_EveryAttemptTimesOut_ThrowsTimeoutException()
    {
        await using var server = await FakeStripeServer.StartAsync();
        var slow = ScriptedResponse.Json(StripeJson.Customer()) with { Delay = TimeSpan.FromSeconds(30) };
        server.Enqueue(slow, slow);
        var options = server.Options(maxRetries: 1);
        options.Timeout = TimeSpan.FromMilliseconds(100);
        using var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));

        await Assert.ThrowsAsync<TimeoutException>(() => server.CreateClient(options, logger: factory.CreateLogger("Stripe")).GetCustomerAsync("cus_123"));

        Assert.Contains(logs.Messages, m => m.Contains("(TimeoutException)", StringComparison.Ordinal) && m.Contains("attempt 1); retrying", StringComparison.Ordinal));
        Assert.Contains(logs.Messages, m => m.Contains("(TimeoutException)", StringComparison.Ordinal) && m.Contains("attempt 2); giving up", StringComparison.Ordinal));
    }
}
