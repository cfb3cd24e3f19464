using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Entitlements;
using VaultAI.Billing.Events;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Entitlements;

/// <summary>
/// An emulator, a billing host receiving its webhooks, and the host's own guarded endpoints as Helvetia and VantFlow
/// write them: <c>POST /helvetia/services</c> (one service per call) and <c>POST /vantflow/chat</c> (the tokens in
/// <c>X-Tokens</c>). The organization comes from the <c>X-Organization-Id</c> header.
/// </summary>
internal sealed class EntitlementWorld : IAsyncDisposable
{
    public const string UpgradeTemplate = "https://app.example.com/billing?org={organizationId}";

    private EntitlementWorld(StripeEmulator stripe, BillingTestHost host, RecordingHandler handler)
    {
        Stripe = stripe;
        Host = host;
        Handler = handler;
    }

    public StripeEmulator Stripe { get; }

    public BillingTestHost Host { get; }

    public RecordingHandler Handler { get; }

    public static async Task<EntitlementWorld> StartAsync(bool deliverWebhooks = true, Action<VaultAIBillingOptions>? configure = null, int failuresPerEvent = 0, string? sqliteFile = null, bool npgsqlDataSource = false)
    {
        // The store given an NpgsqlDataSource instead of a connection string, as a host that supplies passwords through one does.
        var dataSource = npgsqlDataSource ? Npgsql.NpgsqlDataSource.Create(await TestDatabase.CreateDatabaseAsync("billing")) : null;
        var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateLicensedPriceAsync(stripe, unitAmount: 1000);
        var handler = new RecordingHandler(failuresPerEvent);
        EntitlementWorld? world = null;
        var host = await BillingTestHost.StartAsync(
            stripe,
            price,
            // The SQLite store as the sample host's embedded mode builds it; PostgreSQL otherwise.
            database: sqliteFile is not null ? o => o.UseSqlite($"Data Source={sqliteFile}") : dataSource is not null ? o => o.UseNpgsql(dataSource) : null,
            configure: o =>
            {
                o.Metrics["services"] = new MetricDefinition { DisplayName = "Services", Unit = "services", Aggregation = MetricAggregation.Sum };
                o.Metrics["ai_tokens"] = new MetricDefinition { DisplayName = "AI tokens", Unit = "tokens", Aggregation = MetricAggregation.Sum };
                o.Plans[BillingTestHost.PlanKey].GraceDays = 7;
                o.Entitlements.UpgradeUrlTemplate = UpgradeTemplate;
                o.Entitlements.OrganizationResolver = EntitlementOrganization.FromHeader("X-Organization-Id");
                o.Events.PollInterval = TimeSpan.FromMilliseconds(50);
                o.Events.RetryBaseDelay = TimeSpan.FromMinutes(1);
                configure?.Invoke(o);
            },
            services: s => s.AddSingleton(handler).AddBillingEventHandler<RecordingHandlerProxy>(),
            map: app =>
            {
                app.MapPost("/helvetia/services", () => TypedResults.Created("/helvetia/services/1"))
                    .RequireEntitlement("services")
                    .RecordUsage("services");
                // The same endpoint with a reservation; the work waits for the test's word (see HoldReservedWork), so
                // concurrent requests overlap however slowly the machine runs.
                app.MapPost("/helvetia/services/reserved", async () =>
                    {
                        Interlocked.Increment(ref world!._reservedWorkEntered);
                        await world._reservedWork.Task;
                        return TypedResults.Created("/helvetia/services/1");
                    })
                    .RequireEntitlement("services", 1m, reserve: true)
                    .RecordUsage("services");
                // Reserved endpoints whose work fails: answered with an error status, or by throwing.
                app.MapPost("/helvetia/services/reserved-failing", () => TypedResults.Problem("The cluster is full.", statusCode: 503))
                    .RequireEntitlement("services", 1m, reserve: true)
                    .RecordUsage("services");
                app.MapPost("/helvetia/services/reserved-throwing", IResult () => throw new InvalidOperationException("The provisioner crashed."))
                    .RequireEntitlement("services", 1m, reserve: true)
                    .RecordUsage("services");
                app.MapPost("/vantflow/chat", () => TypedResults.Ok())
                    .RequireEntitlement("ai_tokens", TokensOf)
                    .RecordUsage("ai_tokens", TokensOf);
            });
        if (deliverWebhooks)
        {
            stripe.AddWebhookEndpoint(new Uri(host.BaseAddress, "/api/stripe/webhook"));
        }

        world = new EntitlementWorld(stripe, host, handler);
        return world;
    }

    private TaskCompletionSource _reservedWork = Open();
    private int _reservedWorkEntered;

    /// <summary>
    /// Holds the reserved endpoint's work until <paramref name="expected"/> requests have each either been refused or entered
    /// it, so none records usage (and gives its reservation back) while others still check; then lets the work finish.
    /// </summary>
    public async Task<HttpResponseMessage[]> SendTogetherWithReservationAsync(Guid orgId, int expected)
    {
        _reservedWork = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _reservedWorkEntered, 0);
        var requests = Enumerable.Range(0, expected).Select(_ => CreateServiceWithReservationAsync(orgId)).ToList();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (requests.Count(r => r.IsCompleted) + Volatile.Read(ref _reservedWorkEntered) < expected)
        {
            Assert.True(DateTime.UtcNow < deadline, "the concurrent requests never all got past the check");
            await Task.Delay(20);
        }

        _reservedWork.SetResult();
        return await Task.WhenAll(requests);
    }

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    public async Task<Guid> RegisterAndLinkAsync(int trialDays = 4)
    {
        var orgId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(Host.Client, orgId);
        (await InstanceCalls.LinkAsync(Host.Admin, orgId, trialDays: trialDays)).EnsureSuccessStatusCode();
        await Stripe.Deliveries.FlushAsync();
        return orgId;
    }

    public async Task<Organization> OrganizationAsync(Guid orgId)
    {
        await using var db = Host.CreateDbContext();
        return await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == orgId);
    }

    public Task<HttpResponseMessage> CreateServiceAsync(Guid orgId) => SendAsync("/helvetia/services", orgId, null);

    public Task<HttpResponseMessage> CreateServiceWithReservationAsync(Guid orgId, string? idempotencyKey = null) =>
        SendAsync("/helvetia/services/reserved", orgId, null, idempotencyKey);

    public Task<HttpResponseMessage> SendReservedAsync(string path, Guid orgId) => SendAsync(path, orgId, null);

    /// <summary>The organization's <c>services</c> row of <c>usage_totals</c> in its current period: (total, reserved).</summary>
    public async Task<(decimal Total, decimal Reserved)> ServicesTotalAsync(Guid orgId)
    {
        await using var db = Host.CreateDbContext();
        var row = await db.UsageTotals.AsNoTracking()
            .Where(t => t.OrganizationId == orgId && t.Metric == "services")
            .OrderByDescending(t => t.PeriodStart)
            .FirstAsync();
        return (row.Total, row.Reserved);
    }

    public Task<HttpResponseMessage> ChatAsync(Guid orgId, long tokens) => SendAsync("/vantflow/chat", orgId, tokens);

    public async Task<IReadOnlyList<JsonElement>> EventsAsync(Guid orgId, string? type = null)
    {
        using var response = await Host.Admin.GetAsync($"/api/admin/events?organization_id={orgId}&take=1000" + (type is null ? "" : $"&type={type}"));
        response.EnsureSuccessStatusCode();
        var json = await InstanceCalls.ReadJsonAsync(response);
        return json.GetProperty("events").EnumerateArray().ToList();
    }

    /// <summary>Advances the billing clock (the host's clock is the emulator's) and delivers the webhooks it causes.</summary>
    public async Task AdvanceToAsync(DateTimeOffset at)
    {
        var by = at - Stripe.Clock.GetUtcNow();
        if (by > TimeSpan.Zero)
        {
            await Stripe.AdvanceTimeAsync(by);
        }

        await Stripe.Deliveries.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Stripe.DisposeAsync();
    }

    private static ValueTask<decimal> TokensOf(HttpContext context) =>
        ValueTask.FromResult(decimal.TryParse(context.Request.Headers["X-Tokens"].FirstOrDefault(), out var tokens) ? tokens : 0m);

    private async Task<HttpResponseMessage> SendAsync(string path, Guid orgId, long? tokens, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Organization-Id", orgId.ToString());
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (tokens is { } value)
        {
            request.Headers.Add("X-Tokens", value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return await Host.Client.SendAsync(request);
    }
}

/// <summary>What the host's handler saw: each event id and each call, failing the first <c>failuresPerEvent</c> calls of every event.</summary>
internal sealed class RecordingHandler(int failuresPerEvent)
{
    public ConcurrentQueue<BillingEvent> Handled { get; } = new();

    public ConcurrentDictionary<Guid, int> Calls { get; } = new();

    public Task HandleAsync(BillingEvent billingEvent)
    {
        var call = Calls.AddOrUpdate(billingEvent.Id, 1, (_, n) => n + 1);
        if (call <= failuresPerEvent)
        {
            throw new InvalidOperationException($"Mail server down (call {call}).");
        }

        Handled.Enqueue(billingEvent);
        return Task.CompletedTask;
    }

    /// <summary>Waits (up to 30 s, polling) until the handler has taken an event of each type.</summary>
    public async Task WaitForAsync(Guid orgId, params string[] types)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!types.All(t => Handled.Any(e => e.OrganizationId == orgId && e.Type == t)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"The handler did not receive [{string.Join(", ", types.Where(t => !Handled.Any(e => e.OrganizationId == orgId && e.Type == t)))}]; it has [{string.Join(", ", Handled.Select(e => e.Type))}].");
            await Task.Delay(50);
        }
    }
}

/// <summary>The registered handler (scoped, as hosts register theirs), forwarding to the test's recorder.</summary>
internal sealed class RecordingHandlerProxy(RecordingHandler recorder) : IBillingEventHandler
{
    public Task HandleAsync(BillingEvent billingEvent, CancellationToken cancellationToken) => recorder.HandleAsync(billingEvent);
}
