using System.Net;
using System.Net.Sockets;
using VaultAI.Billing.Testing.Tests.Support;

namespace VaultAI.Billing.Testing.Tests.Api;

public class EventsAndHostingTests
{
    private static readonly DateTimeOffset Start = new(2026, 7, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ListEvents_FiltersByCreatedAndTypeAndPages()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        using var http = new StripeHttp(stripe);
        await http.CreateAsync("/v1/customers", "email=old%40example.com");
        await stripe.AdvanceTimeAsync(TimeSpan.FromHours(1));
        var recent1 = await http.CreateAsync("/v1/customers", "email=n1%40example.com");
        var recent2 = await http.CreateAsync("/v1/customers", "email=n2%40example.com");
        await http.CreateAsync("/v1/products", "name=Pro");

        var since = Start.AddHours(1).ToUnixTimeSeconds();
        var page1 = await http.GetAsync($"/v1/events?created[gte]={since}&types[0]=customer.created&limit=1");
        var firstId = page1.Json["data"]![0]!["id"]!.GetValue<string>();
        var page2 = await http.GetAsync($"/v1/events?created[gte]={since}&types[0]=customer.created&limit=1&starting_after={firstId}");

        Assert.True(page1.Json["has_more"]!.GetValue<bool>());
        Assert.False(page2.Json["has_more"]!.GetValue<bool>());
        Assert.Equal(recent2, page1.Json["data"]![0]!["data"]!["object"]!["id"]!.GetValue<string>());
        Assert.Equal(recent1, page2.Json["data"]![0]!["data"]!["object"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task StartAsync_FixedPort_ListensThere()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Port = port, ApiKey = "sk_test_fixed_fake", WebhookSecret = "whsec_fixed_fake" });
        using var http = new StripeHttp(stripe);
        var response = await http.GetAsync("/v1/customers");

        Assert.Equal(new Uri($"http://127.0.0.1:{port}/"), stripe.BaseAddress);
        Assert.Equal("sk_test_fixed_fake", stripe.ApiKey);
        Assert.Equal("whsec_fixed_fake", stripe.WebhookSecret);
        Assert.Equal(HttpStatusCode.OK, response.Status);
    }

    [Fact]
    public async Task StartAsync_GeneratesDistinctTestCredentials()
    {
        await using var first = await StripeEmulator.StartAsync();
        await using var second = await StripeEmulator.StartAsync();

        Assert.StartsWith("sk_test_emulator_", first.ApiKey);
        Assert.StartsWith("whsec_", first.WebhookSecret);
        Assert.NotEqual(first.ApiKey, second.ApiKey);
        Assert.NotEqual(first.WebhookSecret, second.WebhookSecret);
        Assert.NotEqual(first.BaseAddress, second.BaseAddress);
    }

    [Fact]
    public async Task Options_InvalidFinalStatus_FailsAtStartNamingTheSetting()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => StripeEmulator.StartAsync(new StripeEmulatorOptions { FailedPaymentFinalStatus = "paused" }));

        Assert.Contains("FailedPaymentFinalStatus", ex.Message);
    }

    [Fact]
    public async Task ClockMovedDirectly_IsCaughtUpOnTheNextRequest()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        using var http = new StripeHttp(stripe);
        var (_, price) = await Catalog.LicensedMonthlyAsync(http, 1000);
        var customer = await Catalog.CustomerAsync(http);
        var subId = await http.CreateAsync("/v1/subscriptions", $"customer={customer}&items[0][price]={price}&trial_period_days=2");

        stripe.Clock.Advance(TimeSpan.FromDays(3));
        var sub = await http.GetAsync($"/v1/subscriptions/{subId}");

        Assert.Equal("active", sub.Str("status"));
        var trialEndInvoice = stripe.State.Invoices.Last();
        Assert.Equal(Start.AddDays(2), trialEndInvoice.PeriodEnd);
        Assert.Equal(1000, trialEndInvoice.AmountPaid);
    }
}
