using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using VaultAI.Billing.Testing.Api.Internal;
using VaultAI.Billing.Testing.Hosting.Internal;
using VaultAI.Billing.Testing.State.Internal;
using VaultAI.Billing.Testing.Webhooks.Internal;
using WireMock.Logging;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace VaultAI.Billing.Testing;

/// <summary>
/// A stateful Stripe emulator served by a <see cref="WireMockServer"/> on <c>127.0.0.1</c>: customers, products,
/// prices, billing meters and meter events, subscriptions with trials, invoices, checkout and portal sessions,
/// test clocks, events, signed webhook delivery and fault injection. The engine answers through a catch-all
/// WireMock mapping at a low priority, so a test can put its own WireMock stub in front of any route.
/// Start one per test (or per fixture).
/// </summary>
public sealed class StripeEmulator : IAsyncDisposable
{
    /// <summary>The priority of the engine's catch-all mapping. WireMock prefers lower numbers, so any stub a test adds with the default priority or <c>AtPriority(1)</c> wins.</summary>
    public const int EnginePriority = 1_000_000;

    /// <summary>The priority of the first <see cref="InjectFault"/> mapping; later faults get higher numbers so the first registered fault is used first.</summary>
    private const int FaultPriorityBase = 100_000;

    private readonly Engine _engine;
    private readonly WebhookDispatcher _dispatcher;
    private readonly StripeFront _front;
    private readonly ConcurrentDictionary<Guid, StripeFault> _faults = new();
    private readonly HttpContextAccessor _httpContext = new();
    private readonly SemaphoreSlim _advanceLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _clockAdvances = [];
    private StateFile? _stateFile;
    private Task? _realTimeLoop;
    private int _faultSequence;
    private readonly object _disposeLock = new();
    private Task? _disposal;

    private StripeEmulator(Engine engine, WebhookDispatcher dispatcher, FakeTimeProvider clock, string apiKey, string webhookSecret, StripeEmulatorOptions options)
    {
        _engine = engine;
        _dispatcher = dispatcher;
        Clock = clock;
        ApiKey = apiKey;
        WebhookSecret = webhookSecret;
        Deliveries = new EmulatorDeliveryControls(dispatcher);
        State = new EmulatorState(engine);
        _front = new StripeFront(engine, apiKey, options) { TestClockAdvanceRequested = StartTestClockAdvance };
        Server = null!;
    }

    /// <summary>
    /// Gets the WireMock server that serves the emulator. Add stubs with its fluent API to answer a route your
    /// way (a stub with the default priority or <c>AtPriority(1)</c> wins over the engine), use WireMock's delays
    /// and faults, and read its request log (<see cref="WireMockServer.LogEntries"/>).
    /// </summary>
    public WireMockServer Server { get; private set; }

    /// <summary>Gets the address the emulator listens on, e.g. <c>http://127.0.0.1:5123/</c>. It serves <c>/v1/...</c> and the v2 meter event endpoints.</summary>
    public Uri BaseAddress => _engine.BaseAddress;

    /// <summary>Gets the secret API key clients must present (<c>Authorization: Bearer ...</c>).</summary>
    public string ApiKey { get; }

    /// <summary>Gets the webhook signing secret (<c>whsec_...</c>).</summary>
    public string WebhookSecret { get; }

    /// <summary>Gets the emulator's clock. Move the billing world with <see cref="AdvanceTimeAsync"/>; customers on a Stripe test clock live in that clock's frozen time instead.</summary>
    public FakeTimeProvider Clock { get; }

    /// <summary>Gets the controls for webhook delivery (duplicate, shuffle, hold, drop, flush).</summary>
    public EmulatorDeliveryControls Deliveries { get; }

    /// <summary>Gets read-only snapshots of the emulated account.</summary>
    public EmulatorState State { get; }

    /// <summary>Gets every request received so far, including faulted ones and those a test stub answered, built from WireMock's request log.</summary>
    public IReadOnlyList<RecordedRequest> Requests =>
        Server.LogEntries.Select(e => WireMockBridge.ToRecorded(e, FaultOf)).ToList();

    /// <summary>Starts an emulator on <c>127.0.0.1</c>.</summary>
    /// <param name="options">The settings; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running emulator; dispose it to stop.</returns>
    public static Task<StripeEmulator> StartAsync(StripeEmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        options ??= new StripeEmulatorOptions();
        options.Validate();
        var clock = options.Clock ?? new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var apiKey = options.ApiKey ?? "sk_test_emulator_" + Ids.RandomString(24);
        var secret = options.WebhookSecret ?? "whsec_" + Ids.RandomString(32);
        var dispatcher = new WebhookDispatcher(options.WebhookSignatureClock ?? clock, secret, options);
        var engine = new Engine(clock, options, dispatcher);
        if (options.Port != 0)
        {
            EnsurePortIsFree(options.Port);
        }

        var emulator = new StripeEmulator(engine, dispatcher, clock, apiKey, secret, options);

        emulator.Server = WireMockServer.Start(new WireMockServerSettings
        {
            // "127.1" is 127.0.0.1 in short form. WireMock turns the literal "127.0.0.1" with a fixed port into
            // Kestrel's ListenLocalhost, which also binds [::1]; any other IP literal is bound exactly as given.
            Urls = [$"http://127.1:{options.Port}"],
            StartAdminInterface = false,
            Logger = new WireMockNullLogger(),

            // The engine parses bodies itself, exactly as sent (Stripe's bracketed form keys, raw v2 JSON).
            DisableJsonBodyParsing = true,
            DisableDeserializeFormUrlEncoded = true,
            AllowBodyForAllHttpMethods = true,

            // Lets a DropConnection fault abort the connection from inside its callback.
            AdditionalServiceRegistration = services => services.AddHttpContextAccessor(),
        });
        emulator.Server
            .Given(Request.Create().WithPath(new RegexMatcher(".*")).UsingAnyMethod())
            .AtPriority(EnginePriority)
            .WithTitle("Stripe emulator engine")
            .RespondWith(Response.Create().WithCallback(emulator.AnswerFromEngine));

        engine.BaseAddress = new Uri($"http://127.0.0.1:{emulator.Server.Port}/");
        if (options.StatePath is { } statePath)
        {
            emulator._stateFile = new StateFile(engine, statePath, options.Logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            emulator._stateFile.Load(clock);
        }

        dispatcher.Start();
        if (options.FollowRealTime)
        {
            emulator._realTimeLoop = Task.Run(() => emulator.FollowRealTimeAsync(emulator._stop.Token));
        }

        return Task.FromResult(emulator);
    }

    /// <summary>Adds a webhook endpoint; every later event is delivered to each endpoint.</summary>
    /// <param name="url">The absolute URL to POST events to.</param>
    public void AddWebhookEndpoint(Uri url) => _dispatcher.AddEndpoint(url);

    /// <summary>
    /// Moves the clock forward, stopping at every billing boundary crossed (trial ends, renewals,
    /// payment retries, cancellations) in time order, then waits for the resulting webhooks
    /// (unless deliveries are held). Customers on a Stripe test clock do not move: advance their clock.
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
            _stateFile?.Changed();
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

        _stateFile?.Changed();
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

        _stateFile?.Changed();

        await _dispatcher.FlushAsync(cancellationToken).ConfigureAwait(false);
        return subscriptionId;
    }

    /// <summary>
    /// Makes the next <paramref name="count"/> requests whose path matches <paramref name="pathPattern"/> fail, through a
    /// WireMock mapping in front of the engine that is removed once used up; later requests reach the engine.
    /// </summary>
    /// <param name="pathPattern">A glob on the path: <c>*</c> any characters, <c>?</c> one, e.g. <c>/v1/customers*</c>.</param>
    /// <param name="fault">The failure.</param>
    /// <param name="count">How many requests it affects.</param>
    public void InjectFault(string pathPattern, StripeFault fault, int count = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(pathPattern);
        ArgumentNullException.ThrowIfNull(fault);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);

        // A counter rather than a WireMock scenario: a scenario's state moves only after the answer is
        // produced, so while a long Delay fault is waiting the next request would be faulted as well.
        var guid = Guid.NewGuid();
        var remaining = new StrongBox<int>(count);
        _faults[guid] = fault;
        Server
            .Given(Request.Create().WithPath(new WildcardMatcher(pathPattern)).UsingAnyMethod())
            .WithGuid(guid)
            .AtPriority(FaultPriorityBase + Interlocked.Increment(ref _faultSequence))
            .WithTitle($"Injected fault {fault.Kind} on {pathPattern}")
            .RespondWith(Response.Create().WithCallback(request => AnswerFaultAsync(request, guid, fault, remaining)));
    }

    /// <summary>Stops the server and the webhook sender, and saves the state a last time (with a state file).</summary>
    /// <returns>
    /// A task that completes when stopped. Every call, including one made while another is still stopping, completes
    /// only once the emulator has stopped and its last save is written.
    /// </returns>
    public ValueTask DisposeAsync()
    {
        Task disposal;
        lock (_disposeLock)
        {
            disposal = _disposal ??= Task.Run(StopAsync);
        }

        return new ValueTask(disposal);
    }

    private async Task StopAsync()
    {
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

        Task[] advances;
        lock (_clockAdvances)
        {
            advances = [.. _clockAdvances];
        }

        try
        {
            await Task.WhenAll(advances).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            // Stop serving even when a background test clock advance failed; its exception still surfaces here.
            await _dispatcher.DisposeAsync().ConfigureAwait(false);
            Server.Stop();
            if (_stateFile is not null)
            {
                await _stateFile.DisposeAsync().ConfigureAwait(false);
            }

            Server.Dispose();
            _advanceLock.Dispose();
            _stop.Dispose();
        }
    }

    /// <summary>Fails fast on a busy fixed port: WireMock reports it only when its start timeout (10 s) has passed.</summary>
    private static void EnsurePortIsFree(int port)
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        try
        {
            probe.Start();
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new IOException($"Port {port} on 127.0.0.1 is in use. Set StripeEmulatorOptions.Port to a free port, or to 0 for any free port.", ex);
        }
        finally
        {
            probe.Stop();
        }
    }

    private WireMock.IResponseMessage AnswerFromEngine(WireMock.IRequestMessage request)
    {
        var response = WireMockBridge.ToWireMock(_front.Handle(WireMockBridge.ToFront(request)));
        if (_stateFile is not null && !string.Equals(request.Method, "GET", StringComparison.OrdinalIgnoreCase))
        {
            _stateFile.Changed();
        }

        return response;
    }

    private async Task<WireMock.IResponseMessage> AnswerFaultAsync(WireMock.IRequestMessage request, Guid mapping, StripeFault fault, StrongBox<int> remaining)
    {
        var left = Interlocked.Decrement(ref remaining.Value);
        if (left <= 0)
        {
            Server.DeleteMapping(mapping);
        }

        if (left < 0)
        {
            // Two requests matched before the mapping was removed: this one is past the count.
            return AnswerFromEngine(request);
        }

        var context = _httpContext.HttpContext;
        switch (fault.Kind)
        {
            case StripeFaultKind.DropConnection:
                context?.Abort();
                return WireMockBridge.ToWireMock(new FrontResponse(500, "application/json", string.Empty));
            case StripeFaultKind.Delay:
                using (var aborted = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, context?.RequestAborted ?? CancellationToken.None))
                {
                    try
                    {
                        await Task.Delay(fault.DelayDuration, aborted.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        // The client gave up (or the emulator stops): nothing reaches the engine.
                        return WireMockBridge.ToWireMock(new FrontResponse(WireMockBridge.ClientGaveUp, "application/json", string.Empty));
                    }
                }

                return AnswerFromEngine(request);
            default:
                return WireMockBridge.ToWireMock(StripeFront.FaultResponse(fault));
        }
    }

    private StripeFault? FaultOf(Guid? mapping) => mapping is { } guid && _faults.TryGetValue(guid, out var fault) ? fault : null;

    private void StartTestClockAdvance(string testClockId)
    {
        lock (_clockAdvances)
        {
            _clockAdvances.RemoveAll(t => t.IsCompleted);
            _clockAdvances.Add(Task.Run(() => AdvanceTestClockAsync(testClockId, _stop.Token)));
        }
    }

    /// <summary>
    /// Runs an accepted test clock advance: the billing steps of the clock's customers in time order, each at its
    /// time, delivering the webhooks of one step before the next; then the clock is ready at its new frozen time.
    /// </summary>
    private async Task AdvanceTestClockAsync(string testClockId, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                DateTimeOffset? next;
                lock (_engine.Gate)
                {
                    next = _engine.NextTestClockStep(testClockId);
                }

                if (next is not { } at)
                {
                    break;
                }

                await _dispatcher.FlushAsync(cancellationToken).ConfigureAwait(false);
                lock (_engine.Gate)
                {
                    _engine.RunTestClockSteps(testClockId, at);
                }
            }
        }
        finally
        {
            lock (_engine.Gate)
            {
                _engine.CompleteTestClockAdvance(testClockId);
            }

            _stateFile?.Changed();
        }

        await _dispatcher.FlushAsync(cancellationToken).ConfigureAwait(false);
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
