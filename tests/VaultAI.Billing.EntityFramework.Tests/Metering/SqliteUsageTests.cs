using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Testing;
using static VaultAI.Billing.EntityFramework.Tests.Metering.MeteringHost;

namespace VaultAI.Billing.EntityFramework.Tests.Metering;

public sealed class SqliteUsageTests
{
    [Fact]
    public async Task SqliteStore_DemoDatabaseWithoutLedgerTables_GetsThemAtStartAndKeepsTotals()
    {
        var file = Path.Combine(Path.GetTempPath(), $"vaultai-billing-{Guid.NewGuid():N}.db");
        try
        {
            await using var stripe = await StripeEmulator.StartAsync();
            Guid org;
            string token;
            await using (var first = await MeteringHost.StartAsync(stripe, configure: null, database: file))
            {
                org = Guid.NewGuid();
                token = await InstanceCalls.RegisterAsync(first.Client, org);
                // A demo database from before the usage ledger: the tables are not there.
                await using var db = first.CreateDbContext();
                await db.Database.ExecuteSqlRawAsync("DROP TABLE usage_events; DROP TABLE usage_totals;");
            }

            SqliteConnection.ClearAllPools();
            await using var host = await MeteringHost.StartAsync(stripe, configure: null, database: file);
            var now = stripe.Clock.GetUtcNow();
            await PostOkAsync(host, token, Batch(Event("a", "peak_storage_gb", "1.5", now), Event("b", "peak_storage_gb", "0.5", now), Event("a", "peak_storage_gb", "1.5", now)));
            var again = await PostOkAsync(host, token, Batch(Event("b", "peak_storage_gb", "0.5", now), Event("c", "call_minutes", "2.25", now)));
            (await InstanceCalls.ReportAsync(host.Client, token, org, 12, now)).EnsureSuccessStatusCode();

            Assert.Equal(1, again.GetProperty("duplicates").GetInt32());
            var (events, totals) = await StoredAsync(host, org);
            Assert.Equal(4, events);
            Assert.Equal(1.5m, totals["peak_storage_gb"]);
            Assert.Equal(2.25m, totals["call_minutes"]);
            Assert.Equal(12m, totals["active_users"]);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(file);
        }
    }

    [Fact]
    public async Task SqliteStore_LastUsedOfACredential_IsWrittenByTheBatch()
    {
        var file = Path.Combine(Path.GetTempPath(), $"vaultai-billing-{Guid.NewGuid():N}.db");
        try
        {
            await using var stripe = await StripeEmulator.StartAsync();
            await using var host = await MeteringHost.StartAsync(stripe, configure: null, database: file);
            var org = Guid.NewGuid();
            var token = await InstanceCalls.RegisterAsync(host.Client, org);
            (await InstanceCalls.ReportAsync(host.Client, token, org, 4, stripe.Clock.GetUtcNow())).EnsureSuccessStatusCode();

            stripe.Clock.Advance(Credentials.Internal.CredentialUseLog.FlushInterval);
            DateTimeOffset? lastUsed = null;
            for (var attempt = 0; attempt < 300 && lastUsed is null; attempt++)
            {
                await Task.Delay(100);
                await using var db = host.CreateDbContext();
                lastUsed = await db.Credentials.AsNoTracking().Where(c => c.OrganizationId == org).Select(c => c.LastUsedAt).SingleAsync();
            }

            Assert.NotNull(lastUsed);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(file);
        }
    }

    [Fact]
    public async Task SqliteStore_EmbeddedDemo_RollsUpSumCountAndMaxToStripeOnce_WithALateCorrection()
    {
        var file = Path.Combine(Path.GetTempPath(), $"vaultai-billing-{Guid.NewGuid():N}.db");
        try
        {
            await using var stripe = await StripeEmulator.StartAsync();
            var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
            await using var host = await MeteringHost.StartAsync(stripe, price, o =>
            {
                o.Metrics["call_minutes"].MeterEventName = "call_minutes";
                o.Metrics["api_calls"].MeterEventName = "api_calls";
                o.Metrics["peak_storage_gb"].MeterEventName = "peak_storage";
            }, database: file);
            var org = Guid.NewGuid();
            var token = await InstanceCalls.RegisterAsync(host.Client, org);
            (await InstanceCalls.LinkAsync(host.Admin, org)).EnsureSuccessStatusCode();
            var linked = stripe.Clock.GetUtcNow();
            stripe.Clock.Advance(TimeSpan.FromHours(3));

            // Concurrent writers on the one SQLite database, in two windows after the link.
            var writers = Enumerable.Range(0, 8).Select(w => PostOkAsync(host, token, Batch(
                Event($"m-{w}", "call_minutes", "1.25", linked.AddMinutes(70 + w)),
                Event($"c-{w}", "api_calls", "1", linked.AddMinutes(71 + w)),
                Event($"p-{w}", "peak_storage_gb", (1 + (w * 0.5m)).ToString(System.Globalization.CultureInfo.InvariantCulture), linked.AddMinutes(72 + w)))));
            await Task.WhenAll(writers);
            await DrainAsync(host, stripe);
            await PostOkAsync(host, token, Batch(Event("late", "call_minutes", "0.5", linked.AddMinutes(70))));
            await DrainAsync(host, stripe);

            Assert.Equal(1050, stripe.State.MeterEvents.Where(e => e.EventName == "call_minutes").Sum(e => e.Value));
            Assert.Equal(8, stripe.State.MeterEvents.Where(e => e.EventName == "api_calls").Sum(e => e.Value));
            Assert.Equal(4500, stripe.State.MeterEvents.Where(e => e.EventName == "peak_storage").OrderBy(e => e.Timestamp).Last().Value);
            Assert.Equal(stripe.State.MeterEvents.Count, stripe.State.MeterEvents.Select(e => e.Identifier).Distinct(StringComparer.Ordinal).Count());
            var (_, totals) = await StoredAsync(host, org);
            Assert.Equal(10.5m, totals["call_minutes"]);
            await using var db = host.CreateDbContext();
            Assert.Equal(0, await db.MeterEventOutbox.CountAsync(m => m.Status != OutboxStatus.Sent));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(file);
        }
    }

    private static async Task DrainAsync(BillingTestHost host, StripeEmulator stripe)
    {
        stripe.Clock.Advance(TimeSpan.FromHours(1));
        var dispatcher = host.Services.GetRequiredService<IMeterEventDispatcher>();
        while (await dispatcher.DispatchOnceAsync() > 0)
        {
        }
    }
}
