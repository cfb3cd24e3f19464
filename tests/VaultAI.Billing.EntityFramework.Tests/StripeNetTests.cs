using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace VaultAI.Billing.EntityFramework.Tests;

/// <summary>Stripe.net against the emulator: the one retry layer (the resilience handler) and events of other API releases.</summary>
public sealed class StripeNetTests
{
    private const string MeterEventsPath = "/v1/billing/meter_events";

    [Fact]
    public async Task MeterEvent_503ThenOk_SendsOneEventWithOneIdempotencyKey()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price, timeProvider: TimeProvider.System);
        var identifier = Assert.Single(await DispatcherTests.SeedLinkedReportsAsync(host, stripe, organizations: 1, reportsEach: 1));
        stripe.InjectFault(MeterEventsPath, StripeFault.Status(503), count: 1);

        Assert.Equal(1, await host.Services.GetRequiredService<IMeterEventDispatcher>().DispatchOnceAsync());

        var attempts = stripe.Requests.Where(r => r.Path == MeterEventsPath).ToList();
        Assert.Equal([503, 200], attempts.Select(r => r.StatusCode));
        Assert.All(attempts, r => Assert.Equal("meter:" + identifier, r.IdempotencyKey));
        Assert.Equal(identifier, Assert.Single(stripe.State.MeterEvents).Identifier);
        Assert.Equal(OutboxStatus.Sent, await OutboxStatusAsync(host));
    }

    [Fact]
    public async Task MeterEvent_RetryAfter_WaitsOnTheInjectedClock()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        await DispatcherTests.SeedLinkedReportsAsync(host, stripe, organizations: 1, reportsEach: 1);
        stripe.InjectFault(MeterEventsPath, StripeFault.Status(503, retryAfterSeconds: 30), count: 1);

        var dispatch = host.Services.GetRequiredService<IMeterEventDispatcher>().DispatchOnceAsync();
        await WaitUntilAsync(() => stripe.Requests.Any(r => r.Path == MeterEventsPath));
        await Task.Delay(300);
        Assert.False(dispatch.IsCompleted, "the retry waits for Retry-After on the emulator's clock, which has not moved");
        Assert.Single(stripe.Requests, r => r.Path == MeterEventsPath);

        stripe.Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(1, await dispatch.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(2, stripe.Requests.Count(r => r.Path == MeterEventsPath));
        Assert.Equal(OutboxStatus.Sent, await OutboxStatusAsync(host));
    }

    [Fact]
    public async Task MeterEvent_429_IsNotRetriedInTheCall_TheOutboxRetriesItLater()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        await DispatcherTests.SeedLinkedReportsAsync(host, stripe, organizations: 1, reportsEach: 1);
        stripe.InjectFault(MeterEventsPath, StripeFault.Status(429, retryAfterSeconds: 1, errorType: "invalid_request_error"), count: 1);
        var dispatcher = host.Services.GetRequiredService<IMeterEventDispatcher>();

        Assert.Equal(1, await dispatcher.DispatchOnceAsync());
        Assert.Single(stripe.Requests, r => r.Path == MeterEventsPath);
        Assert.Equal(OutboxStatus.Pending, await OutboxStatusAsync(host));

        stripe.Clock.Advance(TimeSpan.FromHours(1)); // past the outbox's backoff
        Assert.Equal(1, await dispatcher.DispatchOnceAsync());
        Assert.Equal(OutboxStatus.Sent, await OutboxStatusAsync(host));
        Assert.Single(stripe.State.MeterEvents);
    }

    [Fact]
    public async Task MeterEvent_StripeShouldRetryFalse_IsNotRetriedEvenOn503()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        await DispatcherTests.SeedLinkedReportsAsync(host, stripe, organizations: 1, reportsEach: 1);
        stripe.InjectFault(MeterEventsPath, StripeFault.Status(503, shouldRetry: false), count: 1);

        Assert.Equal(1, await host.Services.GetRequiredService<IMeterEventDispatcher>().DispatchOnceAsync());

        Assert.Single(stripe.Requests, r => r.Path == MeterEventsPath);
        Assert.Empty(stripe.State.MeterEvents);
        Assert.Equal(OutboxStatus.Pending, await OutboxStatusAsync(host));
    }

    [Fact]
    public async Task MeterEvent_StripeShouldRetryTrue_IsRetriedEvenOn400()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price, timeProvider: TimeProvider.System);
        await DispatcherTests.SeedLinkedReportsAsync(host, stripe, organizations: 1, reportsEach: 1);
        stripe.InjectFault(MeterEventsPath, StripeFault.Status(400, shouldRetry: true, errorType: "invalid_request_error"), count: 1);

        Assert.Equal(1, await host.Services.GetRequiredService<IMeterEventDispatcher>().DispatchOnceAsync());

        Assert.Equal([400, 200], stripe.Requests.Where(r => r.Path == MeterEventsPath).Select(r => r.StatusCode));
        Assert.Equal(OutboxStatus.Sent, await OutboxStatusAsync(host));
    }

    [Fact]
    public async Task V2Stream_SendsThroughStripeNet_RowsAreSent_AndAnExpiredSessionIsRenewed()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price, configure: o => o.Dispatcher.Transport = MeterEventTransport.V2Stream);
        await DispatcherTests.SeedLinkedReportsAsync(host, stripe, organizations: 2, reportsEach: 2);
        var dispatcher = host.Services.GetRequiredService<IMeterEventDispatcher>();

        Assert.Equal(4, await dispatcher.DispatchOnceAsync());
        stripe.Clock.Advance(TimeSpan.FromMinutes(14.5)); // the token still lives 30 s, less than our one-minute margin
        await DispatcherTests.SeedLinkedReportsAsync(host, stripe, organizations: 1, reportsEach: 1);
        Assert.Equal(1, await dispatcher.DispatchOnceAsync());

        await using var db = host.CreateDbContext();
        Assert.All(await db.MeterEventOutbox.ToListAsync(), row => Assert.Equal(OutboxStatus.Sent, row.Status));
        Assert.Equal(5, stripe.State.MeterEvents.Count);
        Assert.Equal(2, stripe.Requests.Count(r => r.Path == "/v2/billing/meter_event_session"));
        var stream = stripe.Requests.Where(r => r.Path == "/v2/billing/meter_event_stream").ToList();
        Assert.Equal(2, stream.Count);
        Assert.All(stream, r => Assert.Equal(200, r.StatusCode)); // the emulator refuses the API key here: the token was sent
    }

    [Fact]
    public async Task V2Stream_TemporarySessionExpired_OpensANewSessionAndResendsTheBatch()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price, configure: o => o.Dispatcher.Transport = MeterEventTransport.V2Stream);
        await DispatcherTests.SeedLinkedReportsAsync(host, stripe, organizations: 1, reportsEach: 2);
        stripe.InjectFault("/v2/billing/meter_event_stream", StripeFault.Status(401, errorType: "temporary_session_expired"), count: 1);

        Assert.Equal(2, await host.Services.GetRequiredService<IMeterEventDispatcher>().DispatchOnceAsync());

        Assert.Equal(2, stripe.Requests.Count(r => r.Path == "/v2/billing/meter_event_session"));
        Assert.Equal([401, 200], stripe.Requests.Where(r => r.Path == "/v2/billing/meter_event_stream").Select(r => r.StatusCode));
        Assert.Equal(2, stripe.State.MeterEvents.Count);
        await using var db = host.CreateDbContext();
        Assert.All(await db.MeterEventOutbox.ToListAsync(), row => Assert.Equal(OutboxStatus.Sent, row.Status));
    }

    [Fact]
    public async Task Webhook_SignedForAnotherApiVersion_IsAcceptedAndApplied()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var org = await WebhookTests.SeedLinkedAsync(host, "sub_old_release");
        var json = WebhookTests.SubscriptionEvent("evt_old_release", "customer.subscription.updated", "sub_old_release", "cus_sub_old_release", "past_due", stripe.Clock.GetUtcNow().AddMinutes(-1))
            .Replace("\"api_version\":\"2026-10-28.endive\"", "\"api_version\":\"2024-06-20\"", StringComparison.Ordinal);
        Assert.Contains("2024-06-20", json, StringComparison.Ordinal);
        var header = global::Stripe.EventUtility.GenerateSignatureHeader(json, stripe.WebhookSecret, stripe.Clock.GetUtcNow().ToUnixTimeSeconds());

        using var response = await WebhookCalls.PostRawAsync(host, Encoding.UTF8.GetBytes(json), header);

        Assert.Equal("processed", (await InstanceCalls.ReadJsonAsync(response)).GetProperty("outcome").GetString());
        await using var db = host.CreateDbContext();
        Assert.Equal("2024-06-20", (await db.WebhookEvents.SingleAsync()).ApiVersion);
        Assert.Equal(OrganizationStatus.PastDue, (await db.Organizations.SingleAsync(o => o.Id == org)).Status);
    }

    [Theory]
    [InlineData("this is not json")]
    [InlineData("{\"id\":\"evt_1\",\"object\":\"event\"")]
    [InlineData("[]")]
    public async Task Webhook_CorrectlySignedButNotAnEvent_Is400InvalidEvent(string body)
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var header = global::Stripe.EventUtility.GenerateSignatureHeader(body, stripe.WebhookSecret, stripe.Clock.GetUtcNow().ToUnixTimeSeconds());

        using var response = await WebhookCalls.PostRawAsync(host, Encoding.UTF8.GetBytes(body), header);

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("invalid_event", (await InstanceCalls.ReadJsonAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Link_SubscriptionCardDeclinedOnceByAWireMockStub_Is402ProblemLinksNothingThenRetryLinksWithOneCustomer()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var orgId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(host.Client, orgId);
        // A test's own WireMock stub in front of the emulator: the first subscription creation is declined.
        stripe.Server
            .Given(Request.Create().WithPath("/v1/subscriptions").UsingPost())
            .InScenario("declined once")
            .WillSetStateTo("declined")
            .RespondWith(Response.Create()
                .WithStatusCode(402)
                .WithHeader("Content-Type", "application/json")
                .WithHeader("Request-Id", "req_stubbed_decline")
                .WithBody("""{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card was declined."}}"""));

        using (var declined = await InstanceCalls.LinkAsync(host.Admin, orgId))
        {
            Assert.Equal(402, (int)declined.StatusCode);
            Assert.Equal("application/problem+json", declined.Content.Headers.ContentType?.MediaType);
            var problem = await InstanceCalls.ReadJsonAsync(declined);
            Assert.Equal("stripe_card_error", problem.GetProperty("code").GetString());
            Assert.Equal("card_declined", problem.GetProperty("stripe_code").GetString());
            Assert.Equal("insufficient_funds", problem.GetProperty("decline_code").GetString());
            Assert.Equal("req_stubbed_decline", problem.GetProperty("stripe_request_id").GetString());
            Assert.Contains("Your card was declined.", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        // A card error is not retried within the call, and nothing is linked.
        Assert.Single(stripe.Requests, r => r.Method == "POST" && r.Path == "/v1/subscriptions");
        Assert.Empty(stripe.State.Subscriptions);
        await using (var db = host.CreateDbContext())
        {
            var organization = await db.Organizations.SingleAsync(o => o.Id == orgId);
            Assert.Equal("pending", organization.Status);
            Assert.Null(organization.StripeSubscriptionId);
            Assert.Null(organization.StripeCustomerId);
        }

        // The second attempt reaches the emulator, reuses the customer made by the first, and links.
        (await InstanceCalls.LinkAsync(host.Admin, orgId)).EnsureSuccessStatusCode();
        var customer = Assert.Single(stripe.State.Customers);
        var subscription = Assert.Single(stripe.State.Subscriptions);
        await using (var db = host.CreateDbContext())
        {
            var organization = await db.Organizations.SingleAsync(o => o.Id == orgId);
            Assert.Equal(customer.Id, organization.StripeCustomerId);
            Assert.Equal(subscription.Id, organization.StripeSubscriptionId);
        }
    }

    [Fact]
    public async Task StripeClient_IsRegisteredForTheHostsOwnCalls_OnTheConfiguredBases()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");

        var client = host.Services.GetRequiredService<global::Stripe.IStripeClient>();
        Assert.Same(host.Services.GetRequiredService<global::Stripe.StripeClient>(), client);
        Assert.Equal(stripe.BaseAddress.AbsoluteUri.TrimEnd('/'), client.ApiBase);
        var customer = await ((global::Stripe.StripeClient)client).V1.Customers.CreateAsync(new global::Stripe.CustomerCreateOptions { Email = "own@acme.example" });
        Assert.Single(stripe.State.Customers, c => c.Id == customer.Id);
    }

    private static async Task<string> OutboxStatusAsync(BillingTestHost host)
    {
        await using var db = host.CreateDbContext();
        return (await db.MeterEventOutbox.SingleAsync()).Status;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(20);
        }
    }
}
