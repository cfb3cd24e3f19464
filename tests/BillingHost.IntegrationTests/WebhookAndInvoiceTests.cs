using System.Net;
using BillingHost.Commands;
using BillingHost.IntegrationTests.Support;
using BillingHost.Provisioning;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Storage;
using VaultAI.Billing.Testing;
using VaultAI.Billing.Webhooks;

namespace BillingHost.IntegrationTests;

public class WebhookAndInvoiceTests
{
    [Fact]
    public async Task FailedWebhook_IsListed_AndTheRetryButtonProcessesItAgain()
    {
        await using var factory = new HostFactory();
        var store = factory.Services.GetRequiredService<IBillingStore>();
        var now = DateTimeOffset.UtcNow;
        var eventId = "evt_" + Guid.NewGuid().ToString("N");
        var payload = $$$$"""{"id":"{{{{eventId}}}}","object":"event","type":"product.created","created":{{{{now.ToUnixTimeSeconds()}}}},"api_version":"2026-10-28.endive","data":{"object":{"id":"prod_x","object":"product","name":"X"}}}""";
        Assert.True(await store.TryInsertWebhookEventAsync(new WebhookInboxEvent { Id = eventId, Type = "product.created", Created = now, ReceivedAt = now, Payload = payload }));
        await store.CompleteWebhookEventAsync(eventId, WebhookEventStatus.Failed, "simulated failure", now, now.AddHours(1));
        using var admin = await Html.SignInAsync(factory);

        var dashboard = await admin.GetStringAsync("/");
        var failedTable = dashboard[dashboard.IndexOf("id=\"failed-webhooks\"", StringComparison.Ordinal)..];
        Assert.Contains(eventId, failedTable, StringComparison.Ordinal);
        Assert.Contains("simulated failure", failedTable, StringComparison.Ordinal);

        using var retry = await Html.SubmitAsync(admin, "/", $"/?handler=RetryWebhook&eventId={eventId}");

        Assert.Equal(HttpStatusCode.Redirect, retry.StatusCode);
        var after = await admin.GetStringAsync("/");
        Assert.Contains($"Stripe event {eventId} processed again", after, StringComparison.Ordinal);
        Assert.NotEqual(WebhookEventStatus.Failed, (await store.GetWebhookEventAsync(eventId))!.Status);
    }

    [Fact]
    public async Task ParkedWebhook_IsListedWithItsReasonAndCounted_AndTheRetryButtonKeepsItParkedWhileItCannotApply()
    {
        await using var factory = new HostFactory();
        var store = factory.Services.GetRequiredService<IBillingStore>();
        var now = DateTimeOffset.UtcNow;
        var eventId = "evt_" + Guid.NewGuid().ToString("N");
        var payload = $$$$"""{"id":"{{{{eventId}}}}","object":"event","type":"customer.subscription.updated","created":9223372036854775807,"data":{"object":{"id":"sub_x","object":"subscription","status":"active"}}}""";
        Assert.True(await store.TryInsertWebhookEventAsync(new WebhookInboxEvent { Id = eventId, Type = "customer.subscription.updated", Created = now, ReceivedAt = now, Payload = payload }));
        await store.CompleteWebhookEventAsync(eventId, WebhookEventStatus.Parked, "$.created is not a Stripe time", now, null);
        using var admin = await Html.SignInAsync(factory);

        var dashboard = await admin.GetStringAsync("/");
        var table = dashboard[dashboard.IndexOf("id=\"failed-webhooks\"", StringComparison.Ordinal)..];
        Assert.Contains(eventId, table, StringComparison.Ordinal);
        Assert.Contains("$.created is not a Stripe time", table, StringComparison.Ordinal);
        Assert.Contains("data-status=\"parked\"", table, StringComparison.Ordinal);
        Assert.Contains("id=\"count-parked-webhooks\">1<", dashboard, StringComparison.Ordinal);

        using var retry = await Html.SubmitAsync(admin, "/", $"/?handler=RetryWebhook&eventId={eventId}");

        Assert.Equal(HttpStatusCode.Redirect, retry.StatusCode);
        Assert.Contains($"Stripe event {eventId} processed again: parked", await admin.GetStringAsync("/"), StringComparison.Ordinal);
        Assert.Equal(WebhookEventStatus.Parked, (await store.GetWebhookEventAsync(eventId))!.Status);
    }

    [Fact]
    public async Task OrganizationPage_ShowsMirroredInvoices()
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();
        var id = Guid.NewGuid();
        await Instances.RegisterAsync(client, id);
        var now = DateTimeOffset.UtcNow;
        await factory.Services.GetRequiredService<IBillingStore>().UpsertInvoiceAsync(new InvoiceRecord
        {
            Id = "in_test_1", OrganizationId = id, Number = "VAULT-0001", Status = "paid", AmountDue = 54000, AmountPaid = 54000, Currency = "eur",
            PeriodStart = now.AddMonths(-1), PeriodEnd = now, HostedInvoiceUrl = "https://invoice.example/in_test_1", LastEventAt = now, UpdatedAt = now,
        });
        using var admin = await Html.SignInAsync(factory);

        var html = await admin.GetStringAsync($"/organizations/{id}");

        var invoices = html[html.IndexOf("id=\"invoices\"", StringComparison.Ordinal)..];
        Assert.Contains("VAULT-0001", invoices, StringComparison.Ordinal);
        Assert.Contains("540.00 EUR", invoices, StringComparison.Ordinal);
        Assert.Contains(">paid<", invoices, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReplayWebhooks_ProductionDatabase_AppliesStripeEventsSinceTheGivenTime()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await BillingHost.Hosting.StripeClients.UseAsync(
            o => { o.ApiKey = stripe.ApiKey; o.ApiBase = stripe.BaseAddress; },
            c => new StripeCatalogProvisioner(c).ProvisionAsync());
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Billing"] = await TestDatabase.CreateDatabaseAsync("billinghost"),
            ["VaultAI:Billing:Stripe:ApiKey"] = stripe.ApiKey,
            ["VaultAI:Billing:Stripe:ApiBase"] = stripe.BaseAddress.ToString(),
            ["VaultAI:Billing:Webhooks:Secrets:0"] = stripe.WebhookSecret,
            ["VaultAI:Billing:Plans:self-hosted:MonthlyPriceId"] = stripe.State.Prices[0].Id,
        }).Build();
        using var output = new StringWriter();
        Assert.Equal(0, await HostCommands.RunAsync(["migrate"], configuration, Path.GetTempPath(), output));
        var since = stripe.Clock.GetUtcNow().AddHours(-1).ToString("O", System.Globalization.CultureInfo.InvariantCulture);

        var first = await HostCommands.RunAsync(["replay-webhooks", "--since", since], configuration, Path.GetTempPath(), output);
        var second = await HostCommands.RunAsync(["replay-webhooks", "--since", since], configuration, Path.GetTempPath(), output);

        Assert.True(first == 0 && second == 0, output.ToString());
        var lines = output.ToString().Split('\n').Where(l => l.StartsWith("Replayed", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Contains($"{stripe.State.Events.Count} listed", lines[0], StringComparison.Ordinal);
        Assert.Contains($"{stripe.State.Events.Count} already known", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReplayWebhooks_WithoutSince_FailsWithUsage()
    {
        using var output = new StringWriter();

        var exit = await HostCommands.RunAsync(["replay-webhooks"], new ConfigurationBuilder().Build(), Path.GetTempPath(), output);

        Assert.Equal(2, exit); // a usage error: a missing argument, not a failure
        Assert.Contains("--since", output.ToString(), StringComparison.Ordinal);
    }
}
