using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VaultAI.Billing.FaultTests.Support;

namespace VaultAI.Billing.FaultTests;

/// <summary>A billing event committed by a host that is then killed is still handed to the host's hook after a restart.</summary>
[Collection(FaultCollection.Name)]
public class EventHookKillTests
{
    [Fact(Timeout = 180_000)]
    public async Task EventHook_HostKilledAfterTheEventIsCommitted_RestartedHostDeliversIt()
    {
        await using var receiver = await HookReceiver.StartAsync();
        await using var rig = await FaultRig.StartAsync(settings: new Dictionary<string, string>
        {
            ["VaultAI:Host:EventHookUrl"] = receiver.Url,
            ["VaultAI:Billing:Events:PollInterval"] = "00:00:00.200",
            ["VaultAI:Billing:Events:RetryBaseDelay"] = "00:00:00.200",
            ["VaultAI:Billing:Events:MaxRetryDelay"] = "00:00:01",
            ["VaultAI:Billing:Events:Lease"] = "00:00:02",
        });
        var port = HostProcess.FreePort();
        var first = await rig.StartHostAsync(port);

        // The hook is down: the 'registered' event is committed and attempted, never delivered.
        receiver.Failing = true;
        var organizationId = Guid.NewGuid();
        await FaultRig.RegisterAsync(first, organizationId);
        await Poll.UntilAsync(() => receiver.Attempts.Any(a => a.OrganizationId == organizationId), TimeSpan.FromSeconds(30));
        await first.KillAsync();
        Assert.DoesNotContain(receiver.Attempts, a => a.OrganizationId == organizationId && a.Accepted);

        receiver.Failing = false;
        var second = await rig.StartHostAsync(port);
        await Poll.UntilAsync(
            () => receiver.Attempts.Any(a => a.OrganizationId == organizationId && a.Accepted),
            TimeSpan.FromSeconds(60),
            () => $"attempts: {receiver.Attempts.Count}; host output: {second.Output}");

        var accepted = receiver.Attempts.Where(a => a.OrganizationId == organizationId && a.Accepted).ToList();
        Assert.All(accepted, a => Assert.Equal("registered", a.Type));
        Assert.Single(accepted.Select(a => a.EventId).Distinct());
        Assert.Equal(accepted[0].EventId.ToString("D"), accepted[0].IdempotencyKey);
        Assert.False(second.HasExited, second.Output);
    }

    /// <summary>The operator's automation the sample host forwards billing events to; it can be made to answer 503.</summary>
    private sealed class HookReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private HookReceiver(WebApplication app, string url)
        {
            _app = app;
            Url = url;
        }

        public string Url { get; }

        public volatile bool Failing;

        public ConcurrentQueue<Attempt> Attempts { get; } = new();

        public static async Task<HookReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            HookReceiver? self = null;
            app.MapPost("/hook", async (HttpContext context) =>
            {
                using var json = await JsonDocument.ParseAsync(context.Request.Body);
                var root = json.RootElement;
                var accepted = !self!.Failing;
                self.Attempts.Enqueue(new Attempt(
                    root.GetProperty("id").GetGuid(),
                    root.GetProperty("type").GetString()!,
                    root.GetProperty("organization_id").ValueKind == JsonValueKind.Null ? null : root.GetProperty("organization_id").GetGuid(),
                    context.Request.Headers["Idempotency-Key"].ToString(),
                    accepted));
                return accepted ? Results.NoContent() : Results.StatusCode(503);
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            self = new HookReceiver(app, address + "/hook");
            return self;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private sealed record Attempt(Guid EventId, string Type, Guid? OrganizationId, string IdempotencyKey, bool Accepted);
}
