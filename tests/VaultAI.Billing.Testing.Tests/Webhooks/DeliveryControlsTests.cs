using VaultAI.Billing.Testing.Tests.Support;

namespace VaultAI.Billing.Testing.Tests.Webhooks;

public class DeliveryControlsTests
{
    private static async Task CreateCustomersAsync(StripeHttp http, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await http.CreateAsync("/v1/customers", $"email=c{i}%40example.com");
        }
    }

    [Fact]
    public async Task DeliverTwice_SendsEachEventTwiceWithTheSameId()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(stripe);
        using var http = new StripeHttp(stripe);
        stripe.Deliveries.DeliverTwice(true);

        await CreateCustomersAsync(http, 2);
        await stripe.Deliveries.FlushAsync();

        Assert.Equal(4, receiver.Received.Count);
        Assert.All(receiver.Received.GroupBy(r => r.Id), g => Assert.Equal(2, g.Count()));
        Assert.All(receiver.Received, r => Assert.True(r.SignatureValid));
    }

    [Fact]
    public async Task HoldAndRelease_QueuesUntilReleased()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(stripe);
        using var http = new StripeHttp(stripe);
        stripe.Deliveries.Hold();

        await CreateCustomersAsync(http, 3);
        await stripe.Deliveries.FlushAsync();
        Assert.Empty(receiver.Received);
        Assert.Equal(3, stripe.Deliveries.Pending);

        await stripe.Deliveries.ReleaseAsync();

        Assert.Equal(3, receiver.Received.Count);
        Assert.Equal(0, stripe.Deliveries.Pending);
        Assert.All(receiver.Received, r => Assert.True(r.SignatureValid));
    }

    [Fact]
    public async Task Shuffle_DeliversEveryEventInAnotherOrder()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(stripe);
        using var http = new StripeHttp(stripe);
        stripe.Deliveries.Hold();
        await CreateCustomersAsync(http, 12);
        stripe.Deliveries.Shuffle(true, seed: 1234);

        await stripe.Deliveries.ReleaseAsync();

        var created = stripe.State.Events.Select(e => e.Id).ToList();
        var received = receiver.Received.Select(r => r.Id).ToList();
        Assert.Equal(created.Order(), received.Order());
        Assert.NotEqual(created, received);
    }

    [Fact]
    public async Task DropNext_LosesThatDeliveryButTheEventStaysListed()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(stripe);
        using var http = new StripeHttp(stripe);
        stripe.Deliveries.DropNext();

        await CreateCustomersAsync(http, 2);
        await stripe.Deliveries.FlushAsync();

        var events = stripe.State.Events;
        Assert.Single(receiver.Received);
        Assert.Equal(events[1].Id, receiver.Received[0].Id);
        Assert.Contains(stripe.Deliveries.Delivered, d => d.Dropped && d.EventId == events[0].Id);
        var listed = await http.GetAsync("/v1/events");
        Assert.Equal(2, listed.Json["data"]!.AsArray().Count);
    }

    [Fact]
    public async Task ReceiverAnswering500_IsRetriedUntil200()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync(stripe);
        using var http = new StripeHttp(stripe);
        receiver.AnswerNext(500, 503);

        await CreateCustomersAsync(http, 1);
        await stripe.Deliveries.FlushAsync();

        Assert.Equal([500, 503, 200], receiver.Received.Select(r => r.AnsweredStatus));
        Assert.Single(receiver.Received.Select(r => r.Id).Distinct());
        var delivery = Assert.Single(stripe.Deliveries.Delivered);
        Assert.True(delivery.Succeeded);
        Assert.Equal(3, delivery.Attempts);
    }

    [Fact]
    public async Task ReceiverAlwaysFailing_IsGivenUpAfterMaxAttempts()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { WebhookMaxAttempts = 3, WebhookRetryBaseDelay = TimeSpan.FromMilliseconds(1) });
        await using var receiver = await WebhookReceiver.StartAsync(stripe);
        using var http = new StripeHttp(stripe);
        receiver.AnswerNext(500, 500, 500, 500);

        await CreateCustomersAsync(http, 1);
        await stripe.Deliveries.FlushAsync();

        Assert.Equal(3, receiver.Received.Count);
        var delivery = Assert.Single(stripe.Deliveries.Delivered);
        Assert.False(delivery.Succeeded);
        Assert.Equal(500, delivery.LastStatusCode);
    }

    [Fact]
    public async Task UnreachableEndpoint_IsRetriedThenGivenUp()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { WebhookMaxAttempts = 2, WebhookRetryBaseDelay = TimeSpan.FromMilliseconds(1) });
        await using var receiver = await WebhookReceiver.StartAsync(stripe);
        var deadUrl = receiver.Url;
        await receiver.DisposeAsync();
        using var http = new StripeHttp(stripe);

        await CreateCustomersAsync(http, 1);
        await stripe.Deliveries.FlushAsync();

        var delivery = Assert.Single(stripe.Deliveries.Delivered);
        Assert.Equal(deadUrl, delivery.Endpoint);
        Assert.False(delivery.Succeeded);
        Assert.Null(delivery.LastStatusCode);
        Assert.Equal(2, delivery.Attempts);
    }

    [Fact]
    public async Task SeveralEndpoints_EachReceiveEveryEvent()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var first = await WebhookReceiver.StartAsync(stripe);
        await using var second = await WebhookReceiver.StartAsync(stripe);
        using var http = new StripeHttp(stripe);

        await CreateCustomersAsync(http, 1);
        await stripe.Deliveries.FlushAsync();

        Assert.Single(first.Received);
        Assert.Single(second.Received);
        Assert.Equal(2, first.Received[0].Json["pending_webhooks"]!.GetValue<int>());
    }

    [Fact]
    public async Task DeliverAutomaticallyOff_StartsHeld()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { DeliverWebhooksAutomatically = false });
        await using var receiver = await WebhookReceiver.StartAsync(stripe);
        using var http = new StripeHttp(stripe);

        await CreateCustomersAsync(http, 1);
        await stripe.Deliveries.FlushAsync();
        Assert.True(stripe.Deliveries.IsHeld);
        Assert.Empty(receiver.Received);

        await stripe.Deliveries.ReleaseAsync();
        Assert.Single(receiver.Received);
    }
}
