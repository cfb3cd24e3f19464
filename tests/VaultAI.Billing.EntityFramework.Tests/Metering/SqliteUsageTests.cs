using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
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
}
