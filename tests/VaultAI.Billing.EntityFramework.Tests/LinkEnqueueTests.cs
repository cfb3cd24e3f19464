using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Metering;
using Stripe;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests;

public sealed class LinkEnqueueTests
{
    [Fact]
    public async Task Link_ToASubscriptionWhosePeriodAlreadyStarted_EnqueuesTheLatestReportOfThatPeriod()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var orgId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, orgId);

        // An earlier, interrupted link left a customer and a subscription in Stripe (period starting now).
        var stripeClient = host.Services.GetRequiredService<StripeClient>();
        var customer = await stripeClient.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "billing@acme.example", Metadata = new Dictionary<string, string> { ["organization_id"] = orgId.ToString() } });
        await stripeClient.V1.Subscriptions.CreateAsync(new SubscriptionCreateOptions
        {
            Customer = customer.Id,
            Items = [new SubscriptionItemOptions { Price = price }],
            TrialPeriodDays = 4,
            Metadata = new Dictionary<string, string> { ["organization_id"] = orgId.ToString() },
        });

        // Before the period: not enqueued. Within it: two reports, the later one is the one billed at link time.
        using (await InstanceCalls.ReportAsync(host.Client, token, orgId, 5, stripe.Clock.GetUtcNow().AddDays(-1)))
        {
        }

        stripe.Clock.Advance(TimeSpan.FromHours(1));
        using (await InstanceCalls.ReportAsync(host.Client, token, orgId, 7, stripe.Clock.GetUtcNow().AddMinutes(-30)))
        {
        }

        Guid latestId;
        using (var latest = await InstanceCalls.ReportAsync(host.Client, token, orgId, 9, stripe.Clock.GetUtcNow()))
        {
            latestId = Guid.Parse((await InstanceCalls.ReadJsonAsync(latest)).GetProperty("report_id").GetString()!);
        }

        stripe.Clock.Advance(TimeSpan.FromHours(1));
        (await InstanceCalls.LinkAsync(host.Admin, orgId)).EnsureSuccessStatusCode();
        Assert.Single(stripe.State.Customers);
        Assert.Single(stripe.State.Subscriptions);

        await using (var db = host.CreateDbContext())
        {
            var row = await db.MeterEventOutbox.SingleAsync();
            Assert.Equal(latestId, row.UsageReportId);
            Assert.Equal(9, row.Value);
            Assert.True((await db.UsageReports.SingleAsync(r => r.Id == latestId)).Billable);
            Assert.Equal(2, await db.UsageReports.CountAsync(r => !r.Billable));
        }

        Assert.Equal(1, await host.Services.GetRequiredService<IMeterEventDispatcher>().DispatchOnceAsync());
        Assert.Equal($"vaultai-usage-{latestId:N}", Assert.Single(stripe.State.MeterEvents).Identifier);
    }
}
