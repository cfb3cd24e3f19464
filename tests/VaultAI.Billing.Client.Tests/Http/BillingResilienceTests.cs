using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Time.Testing;

namespace VaultAI.Billing.Client.Tests;

/// <summary>The resilience handler of the billing HTTP client, against a scripted primary handler (no network).</summary>
public sealed class BillingResilienceTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 3, 9, 0, 0, TimeSpan.Zero);

    private static ServiceProvider Services(string spoolDirectory, ScriptedHandler primary, TimeProvider clock)
    {
        var services = new ServiceCollection();
        services.AddSingleton(clock);

        // Production backoff and Retry-After cap; the pipeline runs on the DI clock.
        services.AddSingleton(new BillingClientTuning());
        services.AddVaultAIBillingClient(o =>
        {
            o.BaseAddress = new Uri("http://127.0.0.1:9/");
            o.OrganizationId = ClientHarness.DefaultOrganizationId;
            o.OrganizationName = "Acme";
            o.InstanceUrl = "acme.example.com";
            o.SpoolDirectory = spoolDirectory;
        }).HttpClient.ConfigurePrimaryHttpMessageHandler(() => primary);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task SendAsync_TooManyRequestsWithRetryAfter_WaitsThatLongOnTheInjectedTimeProvider()
    {
        using var folder = new TempFolder();
        var clock = FakeClock.At(Start);
        var primary = new ScriptedHandler(
            () => new HttpResponseMessage(HttpStatusCode.TooManyRequests) { Headers = { RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)) } },
            () => new HttpResponseMessage(HttpStatusCode.OK));
        await using var services = Services(folder.Path, primary, clock);
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient(BillingClient.HttpClientName);

        var send = http.GetAsync(new Uri("api/ping", UriKind.Relative));
        await WaitUntilAsync(() => primary.Calls == 1);

        // Fake time moves a second at a time until the retry has been sent: it must not go before 7 s.
        var advanced = TimeSpan.Zero;
        while (!send.IsCompleted && advanced < TimeSpan.FromSeconds(30))
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            advanced += TimeSpan.FromSeconds(1);
            await Task.WhenAny(send, Task.Delay(50));
        }

        using var response = await send;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, primary.Calls);
        Assert.InRange(advanced, TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(29));
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.Conflict)]
    [InlineData(HttpStatusCode.UnprocessableEntity)]
    public async Task SendAsync_ClientErrorOtherThan408Or429_ReturnedWithoutRetry(HttpStatusCode status)
    {
        using var folder = new TempFolder();
        var primary = new ScriptedHandler(() => new HttpResponseMessage(status), () => new HttpResponseMessage(HttpStatusCode.OK));
        await using var services = Services(folder.Path, primary, FakeClock.At(Start));
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient(BillingClient.HttpClientName);

        using var response = await http.GetAsync(new Uri("api/ping", UriKind.Relative));

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(1, primary.Calls);
    }

    [Fact]
    public async Task CreateHandler_BillingClient_HasExactlyOneResilienceHandlerOutsideTheAuthHandler()
    {
        using var folder = new TempFolder();
        await using var services = Services(folder.Path, new ScriptedHandler(), FakeClock.At(Start));

        var chain = new List<Type>();
        for (HttpMessageHandler? handler = services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(BillingClient.HttpClientName);
             handler is not null;
             handler = (handler as DelegatingHandler)?.InnerHandler)
        {
            chain.Add(handler.GetType());
        }

        Assert.Single(chain, t => t == typeof(ResilienceHandler));
        Assert.Single(chain, t => t == typeof(BillingAuthHandler));
        Assert.True(chain.IndexOf(typeof(ResilienceHandler)) < chain.IndexOf(typeof(BillingAuthHandler)), string.Join(" -> ", chain.Select(t => t.Name)));
        Assert.Equal(typeof(ScriptedHandler), chain[^1]);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    /// <summary>Answers each request with the next scripted response; the last one repeats.</summary>
    private sealed class ScriptedHandler(params Func<HttpResponseMessage>[] responses) : HttpMessageHandler
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls);
            var response = responses[Math.Min(call, responses.Length) - 1]();
            response.RequestMessage = request;
            return Task.FromResult(response);
        }
    }
}
