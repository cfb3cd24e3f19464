using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using VaultAI.Billing.Stripe;
using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Tests.Stripe;

/// <summary>One request the fake received, as it came over the wire.</summary>
internal sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>One scripted answer; <see cref="Abort"/> drops the connection instead of answering.</summary>
internal sealed record ScriptedResponse(int Status, string Body, IReadOnlyDictionary<string, string>? Headers = null, bool Abort = false, TimeSpan Delay = default)
{
    public static ScriptedResponse Json(string body, int status = 200, params (string Name, string Value)[] headers) =>
        new(status, body, headers.ToDictionary(h => h.Name, h => h.Value));

    public static ScriptedResponse Error(int status, string type, string? code = null, string message = "boom", params (string Name, string Value)[] headers) =>
        new(status, $$$$"""{"error":{"type":"{{{{type}}}}","code":{{{{(code is null ? "null" : "\"" + code + "\"")}}}},"message":"{{{{message}}}}"}}""",
            headers.ToDictionary(h => h.Name, h => h.Value));

    public static ScriptedResponse Dropped() => new(0, string.Empty, Abort: true);
}

/// <summary>
/// A loopback Kestrel server that records every request and answers from a queue of scripted responses
/// (an empty queue answers 599 so a missing script is obvious).
/// </summary>
internal sealed class FakeStripeServer : IAsyncDisposable
{
    public const string ApiKey = "sk_test_fakeKeyForUnitTests0123456789";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ScriptedResponse> _responses = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentQueue<HttpClient> _httpClients = new();
    private int _requestCounter;

    private FakeStripeServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    public static async Task<FakeStripeServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeStripeServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address);
        return server;
    }

    public FakeStripeServer Enqueue(params ScriptedResponse[] responses)
    {
        foreach (var response in responses)
        {
            _responses.Enqueue(response);
        }

        return this;
    }

    public FakeStripeServer EnqueueJson(string body, params (string Name, string Value)[] headers) => Enqueue(ScriptedResponse.Json(body, 200, headers));

    public StripeClientOptions Options(int maxRetries = 2) => new()
    {
        ApiKey = ApiKey,
        ApiBase = BaseAddress,
        MeterEventsApiBase = BaseAddress,
        MaxRetries = maxRetries,
        InitialRetryDelay = TimeSpan.FromMilliseconds(1),
        MaxRetryDelay = TimeSpan.FromMilliseconds(4),
    };

    public IStripeClient CreateClient(StripeClientOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        var httpClient = new HttpClient();
        _httpClients.Enqueue(httpClient);
        return new StripeClient(httpClient, options ?? Options(), timeProvider, new StripeMetrics(null), logger ?? NullLogger.Instance);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var httpClient in _httpClients)
        {
            httpClient.Dispose();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        _requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? string.Empty, context.Request.QueryString.Value ?? string.Empty, headers, body));
        var number = Interlocked.Increment(ref _requestCounter);

        if (!_responses.TryDequeue(out var response))
        {
            context.Response.StatusCode = 599;
            await context.Response.WriteAsync("no scripted response");
            return;
        }

        if (response.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(response.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (response.Abort)
        {
            context.Abort();
            return;
        }

        context.Response.StatusCode = response.Status;
        context.Response.Headers["Request-Id"] = "req_fake_" + number.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(response.Body);
    }
}
