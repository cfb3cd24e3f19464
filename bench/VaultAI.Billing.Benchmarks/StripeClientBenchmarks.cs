using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Stripe;
using Stripe.Billing;

namespace VaultAI.Billing.Benchmarks;

/// <summary>
/// Stripe.net's <see cref="StripeClient"/> as VaultAI.Billing registers it (<c>AddVaultAIStripeClient</c>: the named
/// HttpClient with the resilience handler and the telemetry handler), without a network: Stripe.net's form encoding,
/// our HttpClient pipeline, and Stripe.net's JSON parsing of a canned answer served by an in-process
/// <see cref="HttpMessageHandler"/>.
/// </summary>
[MemoryDiagnoser]
public class StripeClientBenchmarks
{
    private ServiceProvider? _services;
    private StripeClient _client = null!;
    private CannedHandler _handler = null!;
    private SubscriptionCreateOptions _subscription = null!;
    private MeterEventCreateOptions _meterEvent = null!;

    [GlobalSetup]
    public void Setup()
    {
        _handler = new CannedHandler();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddVaultAIStripeClient(o =>
            {
                o.ApiKey = "sk_test_bench_not_a_real_key";
                o.ApiBase = new Uri("http://127.0.0.1:9/");
                o.MeterEventsBase = new Uri("http://127.0.0.1:9/");
                o.MaxRetries = 0;
            })
            .ConfigurePrimaryHttpMessageHandler(() => _handler);
        _services = services.BuildServiceProvider();
        _client = _services.GetRequiredService<StripeClient>();

        _subscription = new SubscriptionCreateOptions
        {
            Customer = "cus_BenchCustomer0001",
            Items = [new SubscriptionItemOptions { Price = "price_1BenchMeteredPrice0001" }],
            TrialPeriodDays = 4,
            PaymentBehavior = "default_incomplete",
            TrialSettings = new SubscriptionTrialSettingsOptions
            {
                EndBehavior = new SubscriptionTrialSettingsEndBehaviorOptions { MissingPaymentMethod = "cancel" },
            },
            Metadata = new Dictionary<string, string>
            {
                ["organization_id"] = "6f1c1a52-3f8e-4a77-9d3c-2b0f7f0e9a11",
                ["deployment_type"] = "on-premise",
                ["plan_type"] = "self-hosted",
            },
        };
        _meterEvent = new MeterEventCreateOptions
        {
            EventName = "vaultai_active_users",
            Payload = new Dictionary<string, string> { ["stripe_customer_id"] = "cus_BenchCustomer0001", ["value"] = "42" },
            Identifier = "vaultai-usage-6f1c1a523f8e4a779d3c2b0f7f0e9a11",
            Timestamp = DateTimeOffset.FromUnixTimeSeconds(Fixtures.Created).UtcDateTime,
        };

        var created = CreateSubscription().GetAwaiter().GetResult();
        var sent = CreateMeterEvent().GetAwaiter().GetResult();
        if (created.Status != "active" || sent.Identifier != _meterEvent.Identifier)
        {
            throw new InvalidOperationException("The canned answers did not parse as expected.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _services?.Dispose();

    /// <summary><c>POST /v1/subscriptions</c>: nested form (items, metadata, trial settings) out, a full subscription (about 3.5 KB) in.</summary>
    [Benchmark]
    public Task<Subscription> CreateSubscription() =>
        _client.V1.Subscriptions.CreateAsync(_subscription, new RequestOptions { IdempotencyKey = "link:bench:subscription" });

    /// <summary><c>POST /v1/billing/meter_events</c>: the dispatcher's per-row call.</summary>
    [Benchmark]
    public Task<MeterEvent> CreateMeterEvent() =>
        _client.V1.Billing.MeterEvents.CreateAsync(_meterEvent, new RequestOptions { IdempotencyKey = "meter:" + _meterEvent.Identifier });

    /// <summary>Answers every request with a canned JSON body chosen by path; reads (and drops) the request body like a server would.</summary>
    private sealed class CannedHandler : HttpMessageHandler
    {
        private readonly byte[] _subscription = Encoding.UTF8.GetBytes(Fixtures.Subscription());
        private readonly byte[] _meterEvent = Encoding.UTF8.GetBytes(Fixtures.MeterEvent("vaultai-usage-6f1c1a523f8e4a779d3c2b0f7f0e9a11"));

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is not null)
            {
                _ = await request.Content.ReadAsByteArrayAsync(cancellationToken);
            }

            var body = request.RequestUri!.AbsolutePath switch
            {
                "/v1/subscriptions" => _subscription,
                "/v1/billing/meter_events" => _meterEvent,
                var path => throw new InvalidOperationException("No canned answer for " + path),
            };
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body), RequestMessage = request };
            response.Content.Headers.ContentType = new("application/json");
            response.Headers.Add("Request-Id", "req_bench");
            return response;
        }
    }
}
