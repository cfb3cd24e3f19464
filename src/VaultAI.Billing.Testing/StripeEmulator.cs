using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VaultAI.Billing.Testing.Api.Internal;
using VaultAI.Billing.Testing.Faults.Internal;
using VaultAI.Billing.Testing.Observation.Internal;
using VaultAI.Billing.Testing.State.Internal;
using VaultAI.Billing.Testing.Webhooks.Internal;

namespace VaultAI.Billing.Testing;

/// <summary>
/// A stateful Stripe emulator on loopback Kestrel: customers, products, prices, billing meters and
/// meter events, subscriptions with trials, invoices, checkout and portal sessions, events, signed
/// webhook delivery, a test clock and fault injection. Start one per test (or per fixture).
/// </summary>
public sealed class StripeEmulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Engine _engine;
    private readonly WebhookDispatcher _dispatcher;
    private readonly FaultRegistry _faults;
    private readonly RequestLog _log;
    private readonly SemaphoreSlim _advanceLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _realTimeLoop;
    private int _disposed;

    private StripeEmulator(WebApplication app, Engine engine, WebhookDispatcher dispatcher, FaultRegistry faults, RequestLog log, ManualTimeProvider clock, string apiKey, string webhookSecret)
    {
        _app = app;
        _engine = engine;
        _dispatcher = dispatcher;
        _faults = faults;
        _log = log;
        Clock = clock;
        ApiKey = apiKey;
        WebhookSecret = webhookSecret;
        Deliveries = new EmulatorDeliveryControls(dispatcher);
        State = new EmulatorState(engine);
    }

    /// <summary>Gets the address the emulator listens on, e.g. <c>http://127.0.0.1:5123/</c>. It serves <c>/v1/...</c> and the v2 meter event endpoints.</summary>
    public Uri BaseAddress => _engine.BaseAddress;

    /// <summary>Gets the secret API key clients must present (<c>Authorization: Bearer ...</c>).</summary>
    public string ApiKey { get; }

    /// <summary>Gets the webhook signing secret (<c>whsec_...</c>).</summary>
    public string WebhookSecret { get; }

    /// <summary>Gets the emulator's test clock. Move the billing world with <see cref="AdvanceTimeAsync"/>.</summary>
    public ManualTimeProvider Clock { get; }

    /// <summary>Gets the controls for webhook delivery (duplicate, shuffle, hold, drop, flush).</summary>
    public EmulatorDeliveryControls Deliveries { get; }

    /// <summary>Gets read-only snapshots of the emulated account.</summary>
    public EmulatorState State { get; }

    /// <summary>Gets every request received so far, including faulted ones.</summary>
    public IReadOnlyList<RecordedRequest> Requests => _log.Snapshot();

    /// <summary>Starts an emulator on <c>127.0.0.1</c>.</summary>
    /// <param name="options">The settings; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running emulator; dispose it to stop.</returns>
    public static async Task<StripeEmulator> StartAsync(StripeEmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new StripeEmulatorOptions();
        options.Validate();
        var clock = options.Clock ?? new ManualTimeProvider(TimeProvider.System.GetUtcNow());
        var apiKey = options.ApiKey ?? "sk_test_emulator_" + Ids.RandomString(24);
        var secret = options.WebhookSecret ?? "whsec_" + Ids.RandomString(32);
        var dispatcher = new WebhookDispatcher(clock, secret, options);
        var engine = new Engine(clock, options, dispatcher);
        var faults = new FaultRegistry();
        var log = new RequestLog();
        var front = new HttpFront(engine, faults, log, apiKey);

        // An empty builder: no configuration files, environment-driven URLs or console logging leak in.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.Port));
        var app = builder.Build();
        app.Run(front.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        engine.BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        dispatcher.Start();
        var emulator = new StripeEmulator(app, engine, dispatcher, faults, log, clock, apiKey, secret);
        if (options.FollowRealTime)
        {
            emulator._realTimeLoop = Task.Run(() => emulator.FollowRealTimeAsync(emulator._stop.Token));
        }

        return emulator;
    }

    /// <summary>Adds a webhook endpoint; every later event is delivered to each endpoint.</summary>
    /// <param name="url">The absolute URL to POST events to.</param>
    public void AddWebhookEndpoint(Uri url) => _dispatcher.AddEndpoint(url);

    /// <summary>
    /// Moves the clock forward, stopping at every billing boundary crossed (trial ends, renewals,
    /// payment retries, cancellations) in time order, then waits for the resulting webhooks
    /// (unless deliveries are held).
    /// </summary>
    /// <param name="by">How far to move; must not be negative.</param>
    /// <param name="cancellationToken">Stops waiting for deliveries.</param>
    /// <returns>A task that completes when time has moved and webhooks were delivered.</returns>
    public async Task AdvanceTimeAsync(TimeSpan by, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        await _advanceLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var target = Clock.GetUtcNow() + by;
            while (true)
            {
                DateTimeOffset? next;
                lock (_engine.Gate)
                {
                    next = _engine.NextDueTime(target);
                }

                if (next is not { } at)
                {
                    break;
                }

                // Deliver what earlier steps emitted before time moves on, so each webhook is signed and
                // received at the time it belongs to (receivers check the signature's timestamp).
                await _dispatcher.FlushAsync(cancellationToken).ConfigureAwait(false);

                // Move the clock outside the engine lock: timers firing here may call the emulator.
                if (at > Clock.GetUtcNow())
                {
                    Clock.SetUtcNow(at);
                }

                lock (_engine.Gate)
                {
                    _engine.RunDueSteps(at);
                }
            }

            await _dispatcher.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (target > Clock.GetUtcNow())
            {
                Clock.SetUtcNow(target);
            }
        }
        finally
        {
            _advanceLock.Release();
        }

        await _dispatcher.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets what happens when the customer is charged from now on (initial payment, renewals and retries).</summary>
    /// <param name="customerId">The <c>cus_</c> id.</param>
    /// <param name="outcome">The outcome.</param>
    /// <exception cref="ArgumentException">The customer does not exist.</exception>
    public void SetPaymentOutcome(string customerId, PaymentOutcome outcome)
    {
        lock (_engine.Gate)
        {
            _engine.SetPaymentOutcome(customerId, outcome);
        }
    }

    /// <summary>Completes a checkout session as the customer would: creates the customer (if none) and the subscription, and emits <c>checkout.session.completed</c>.</summary>
    /// <param name="checkoutSessionId">The <c>cs_</c> id.</param>
    /// <param name="cancellationToken">Stops waiting for deliveries.</param>
    /// <returns>The subscription id.</returns>
    public async Task<string> CompleteCheckoutAsync(string checkoutSessionId, CancellationToken cancellationToken = default)
    {
        string subscriptionId;
        lock (_engine.Gate)
        {
            subscriptionId = _engine.CompleteCheckout(checkoutSessionId);
        }

        await _dispatcher.FlushAsync(cancellationToken).ConfigureAwait(false);
        return subscriptionId;
    }

    /// <summary>Makes the next <paramref name="count"/> requests whose path matches <paramref name="pathPattern"/> fail.</summary>
    /// <param name="pathPattern">A glob on the path: <c>*</c> any characters, <c>?</c> one, e.g. <c>/v1/customers*</c>.</param>
    /// <param name="fault">The failure.</param>
    /// <param name="count">How many requests it affects.</param>
    public void InjectFault(string pathPattern, StripeFault fault, int count = 1) => _faults.Add(pathPattern, fault, count);

    /// <summary>Stops the server and the webhook sender.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_realTimeLoop is not null)
        {
            try
            {
                await _realTimeLoop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await _dispatcher.DisposeAsync().ConfigureAwait(false);
        // Bounded: a request stuck in an injected delay must not hold up disposal.
        using (var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            await _app.StopAsync(stopTimeout.Token).ConfigureAwait(false);
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _advanceLock.Dispose();
        _stop.Dispose();
    }

    private async Task FollowRealTimeAsync(CancellationToken cancellationToken)
    {
        var last = TimeProvider.System.GetTimestamp();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), TimeProvider.System);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            var now = TimeProvider.System.GetTimestamp();
            var elapsed = TimeProvider.System.GetElapsedTime(last, now);
            last = now;
            await AdvanceTimeAsync(elapsed, cancellationToken).ConfigureAwait(false);
        }
    }
}
