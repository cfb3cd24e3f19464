using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests;

public sealed class AlternativePathsTests
{
    [Fact]
    public async Task V2StreamTransport_SendsEveryRowOnceInBatches()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price, configure: o => o.Dispatcher.Transport = MeterEventTransport.V2Stream);
        var identifiers = await DispatcherTests.SeedLinkedReportsAsync(host, stripe, organizations: 3, reportsEach: 4);

        var dispatcher = host.Services.GetRequiredService<IMeterEventDispatcher>();
        Assert.Equal(12, await dispatcher.DispatchOnceAsync());
        Assert.Equal(0, await dispatcher.DispatchOnceAsync());

        Assert.Single(stripe.Requests, r => r.Path == "/v2/billing/meter_event_session");
        Assert.Single(stripe.Requests, r => r.Path == "/v2/billing/meter_event_stream");
        Assert.DoesNotContain(stripe.Requests, r => r.Path == "/v1/billing/meter_events");
        Assert.Equal(identifiers.OrderBy(x => x), stripe.State.MeterEvents.Select(e => e.Identifier).OrderBy(x => x));

        // An expired session token is renewed and the batch goes through.
        stripe.Clock.Advance(TimeSpan.FromMinutes(20));
        await DispatcherTests.SeedLinkedReportsAsync(host, stripe, organizations: 1, reportsEach: 1);
        Assert.Equal(1, await dispatcher.DispatchOnceAsync());
        Assert.Equal(2, stripe.Requests.Count(r => r.Path == "/v2/billing/meter_event_session"));
        Assert.Equal(13, stripe.State.MeterEvents.Count);
    }

    [Fact]
    public async Task SqliteStore_SingleProcess_IngestsLinksAndDispatchesExactlyOnce()
    {
        var file = Path.Combine(Path.GetTempPath(), $"vaultai-billing-{Guid.NewGuid():N}.db");
        try
        {
            await using var stripe = await StripeEmulator.StartAsync();
            var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
            await using (var host = await BillingTestHost.StartAsync(stripe, price, database: o => o.UseSqlite($"Data Source={file}")))
            {
                var identifiers = await DispatcherTests.SeedLinkedReportsAsync(host, stripe, organizations: 2, reportsEach: 3);
                var dispatcher = host.Services.GetRequiredService<IMeterEventDispatcher>();

                // Two dispatch passes at once in one process: the SQLite claim path serialises them.
                var claimed = await Task.WhenAll(dispatcher.DispatchOnceAsync(), dispatcher.DispatchOnceAsync());
                Assert.Equal(6, claimed.Sum());
                Assert.Equal(identifiers.OrderBy(x => x), stripe.State.MeterEvents.Select(e => e.Identifier).OrderBy(x => x));
                Assert.Equal(6, stripe.Requests.Count(r => r.Path == "/v1/billing/meter_events"));

                await using var db = host.CreateDbContext();
                Assert.True(db.IsSqlite);
                Assert.Equal(6, await db.MeterEventOutbox.CountAsync(m => m.Status == OutboxStatus.Sent));
                Assert.Equal(6, await db.UsageReports.CountAsync());
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(file);
        }
    }
}
