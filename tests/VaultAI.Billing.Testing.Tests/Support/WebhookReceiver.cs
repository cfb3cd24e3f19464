using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace VaultAI.Billing.Testing.Tests.Support;

/// <summary>A webhook endpoint on 127.0.0.1:0 that records deliveries and checks signatures independently of the emulator's signer.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _scriptedStatuses = new();
    private readonly List<ReceivedWebhook> _received = [];
    private readonly string _secret;
    private readonly TimeProvider _clock;

    private WebhookReceiver(WebApplication app, string secret, TimeProvider clock)
    {
        _app = app;
        _secret = secret;
        _clock = clock;
    }

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<ReceivedWebhook> Received
    {
        get
        {
            lock (_received)
            {
                return _received.ToArray();
            }
        }
    }

    public IEnumerable<string> Types => Received.Select(r => r.Type);

    public static async Task<WebhookReceiver> StartAsync(StripeEmulator emulator)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, emulator.WebhookSecret, emulator.Clock);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = new Uri(new Uri(address), "/webhook");
        emulator.AddWebhookEndpoint(receiver.Url);
        return receiver;
    }

    /// <summary>The next deliveries are answered with these statuses (then 200).</summary>
    public void AnswerNext(params int[] statuses)
    {
        foreach (var status in statuses)
        {
            _scriptedStatuses.Enqueue(status);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var raw = buffer.ToArray();
        var signature = context.Request.Headers["Stripe-Signature"].ToString();
        var status = _scriptedStatuses.TryDequeue(out var scripted) ? scripted : 200;
        var json = JsonNode.Parse(raw)!;
        lock (_received)
        {
            _received.Add(new ReceivedWebhook(
                json["id"]!.GetValue<string>(),
                json["type"]!.GetValue<string>(),
                json,
                Encoding.UTF8.GetString(raw),
                context.Request.ContentType ?? string.Empty,
                Verify(signature, raw),
                status));
        }

        context.Response.StatusCode = status;
    }

    /// <summary>Stripe's scheme, checked by hand: HMAC-SHA256(key = whole secret, "{t}.{body}") and |now - t| within 300 s.</summary>
    private bool Verify(string header, byte[] body)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToList();
        var t = parts.FirstOrDefault(p => p[0] == "t")?[1];
        if (t is null || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return false;
        }

        if (Math.Abs(_clock.GetUtcNow().ToUnixTimeSeconds() - seconds) > 300)
        {
            return false;
        }

        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(_secret));
        var expected = Convert.ToHexString(hmac.ComputeHash(Encoding.UTF8.GetBytes(t + ".").Concat(body).ToArray())).ToLowerInvariant();
        return parts.Any(p => p[0] == "v1" && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(p[1]), Encoding.ASCII.GetBytes(expected)));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal sealed record ReceivedWebhook(string Id, string Type, JsonNode Json, string RawBody, string ContentType, bool SignatureValid, int AnsweredStatus)
{
    public JsonNode Object => Json["data"]!["object"]!;
}
