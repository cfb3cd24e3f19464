using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using VaultAI.Billing.Entitlements;
using VaultAI.Billing.EntityFramework.Internal;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.EntityFramework.Tests.Entitlements;

/// <summary>
/// On PostgreSQL, concurrent entitlement reads are coalesced: reads arriving while the store's queries are at their bound
/// are answered together by the next query. Each must still get its own organization's answer, as fresh as when it was
/// asked. To make a batch form for sure, a test holds <c>billing.usage_totals</c> locked from another connection: the
/// reads already sent wait on the lock in PostgreSQL, so every read started meanwhile joins the pending batch.
/// </summary>
public sealed class EntitlementBatchingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CoalescedChecks_ManyOrganizations_EachGetsItsOwnTotals(bool storeGivenADataSource)
    {
        // Given a data source, the store's context knows no connection string and the queries run on a clone of its connection.
        await using var world = await EntitlementWorld.StartAsync(npgsqlDataSource: storeGivenADataSource);
        var service = world.Host.Services.GetRequiredService<IEntitlementService>();
        var organizations = new List<Guid>();
        for (var i = 0; i < 40; i++)
        {
            var orgId = Guid.NewGuid();
            await InstanceCalls.RegisterAsync(world.Host.Client, orgId);
            await RecordAsync(world, orgId, "ai_tokens", i + 1);
            await RecordAsync(world, orgId, "services", 100 + i);
            organizations.Add(orgId);
        }

        var batcher = await BatcherAsync(world, service, organizations[0]);
        var before = batcher.Sent.Batches;
        Task<EntitlementDecision>[] checks;
        await using (var locked = await TotalsLock.TakeAsync(world))
        {
            var holders = await HoldBothSlotsAsync(service, batcher, organizations[0]);
            // Each (organization, metric) asked twice: 80 distinct keys, 160 waiters.
            checks = organizations
                .SelectMany(o => new[] { service.CheckAsync(o, "ai_tokens", 1), service.CheckAsync(o, "services", 1), service.CheckAsync(o, "ai_tokens", 1), service.CheckAsync(o, "services", 1) })
                .ToArray();
            await UntilAsync(() => batcher.Pending == 80, "the 160 checks never all joined the pending batch");
            Assert.All(checks, c => Assert.False(c.IsCompleted));
            await locked.ReleaseAsync();
            await Task.WhenAll(holders);
        }

        await Task.WhenAll(checks);
        for (var i = 0; i < organizations.Count; i++)
        {
            for (var n = 0; n < 2; n++)
            {
                var tokens = (await checks[4 * i + 2 * n]).Quota;
                var services = (await checks[4 * i + 2 * n + 1]).Quota;
                Assert.Equal(("ai_tokens", i + 1m), (tokens.Metric, tokens.Current));
                Assert.Equal(("services", 100m + i), (services.Metric, services.Current));
            }
        }

        // 80 keys at most 64 to a query: two queries answered the 160 checks.
        Assert.Equal((before + 2, 64), batcher.Sent);

        // The same without the lock, as the load comes: whatever batches form, every answer is its own.
        var free = Enumerable.Range(0, 400).Select(n => (Index: n % organizations.Count, Task: service.CheckAsync(organizations[n % organizations.Count], "ai_tokens", 1))).ToArray();
        foreach (var (index, task) in free)
        {
            Assert.Equal(index + 1m, (await task).Quota.Current);
        }
    }

    [Fact]
    public async Task RecordThenCheck_32ConcurrentOrganizations_EachCheckSeesItsOwnRecordedUsage()
    {
        await using var world = await EntitlementWorld.StartAsync();
        var service = world.Host.Services.GetRequiredService<IEntitlementService>();
        var organizations = new Guid[32];
        for (var i = 0; i < organizations.Length; i++)
        {
            organizations[i] = Guid.NewGuid();
            await InstanceCalls.RegisterAsync(world.Host.Client, organizations[i]);
        }

        // Each task records and then checks, five times: a check answered by a query that started before the usage was
        // committed (a batch already on its way) would see one token less.
        var seen = await Task.WhenAll(organizations.Select(async orgId =>
        {
            var totals = new List<decimal>();
            for (var k = 1; k <= 5; k++)
            {
                await RecordAsync(world, orgId, "ai_tokens", 1);
                totals.Add((await service.CheckAsync(orgId, "ai_tokens", 1)).Quota.Current);
            }

            return totals;
        }));

        Assert.All(seen, totals => Assert.Equal([1m, 2m, 3m, 4m, 5m], totals));
    }

    [Fact]
    public async Task CoalescedChecks_UnknownOrganizationAmongKnownOnes_NotFoundForItAlone()
    {
        await using var world = await EntitlementWorld.StartAsync();
        var service = world.Host.Services.GetRequiredService<IEntitlementService>();
        var known = new Guid[5];
        for (var i = 0; i < known.Length; i++)
        {
            known[i] = Guid.NewGuid();
            await InstanceCalls.RegisterAsync(world.Host.Client, known[i]);
            await RecordAsync(world, known[i], "ai_tokens", 10 * (i + 1));
        }

        var batcher = await BatcherAsync(world, service, known[0]);
        // On an idle store a check is sent at once, alone: no batch forms (and no timer holds it).
        var sent = batcher.Sent;
        Assert.Equal(10m, (await service.CheckAsync(known[0], "ai_tokens", 1)).Quota.Current);
        Assert.Equal(sent, batcher.Sent);

        Task<EntitlementDecision>[] checks;
        Task<EntitlementDecision> unknown;
        await using (var locked = await TotalsLock.TakeAsync(world))
        {
            var holders = await HoldBothSlotsAsync(service, batcher, known[0]);
            checks = known[..2].Select(o => service.CheckAsync(o, "ai_tokens", 1)).ToArray();
            unknown = service.CheckAsync(Guid.NewGuid(), "ai_tokens", 1);
            checks = [.. checks, .. known[2..].Select(o => service.CheckAsync(o, "ai_tokens", 1))];
            await UntilAsync(() => batcher.Pending == 6, "the checks never all joined the pending batch");
            await locked.ReleaseAsync();
            await Task.WhenAll(holders);
        }

        var notFound = await Assert.ThrowsAsync<BillingException>(() => unknown);
        Assert.Equal((404, "organization_not_found"), (notFound.StatusCode, notFound.Code));
        for (var i = 0; i < known.Length; i++)
        {
            Assert.Equal(10m * (i + 1), (await checks[i]).Quota.Current);
        }
    }

    [Fact]
    public async Task CoalescedChecks_OneWaiterCanceled_OthersOfItsBatchAnswered()
    {
        await using var world = await EntitlementWorld.StartAsync();
        var service = world.Host.Services.GetRequiredService<IEntitlementService>();
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(world.Host.Client, first);
        await InstanceCalls.RegisterAsync(world.Host.Client, second);
        await RecordAsync(world, first, "ai_tokens", 7);
        await RecordAsync(world, second, "ai_tokens", 9);

        var batcher = await BatcherAsync(world, service, first);
        using var cancellation = new CancellationTokenSource();
        Task<EntitlementDecision> canceled, sameKey, other;
        await using (var locked = await TotalsLock.TakeAsync(world))
        {
            var holders = await HoldBothSlotsAsync(service, batcher, second);
            // The canceled waiter shares its key (and so its row) with another.
            canceled = service.CheckAsync(first, "ai_tokens", 1, cancellation.Token);
            sameKey = service.CheckAsync(first, "ai_tokens", 1);
            other = service.CheckAsync(second, "ai_tokens", 1);
            await UntilAsync(() => batcher.Pending == 2, "the checks never joined the pending batch");
            await cancellation.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canceled);
            Assert.Equal(2, batcher.Pending);
            await locked.ReleaseAsync();
            await Task.WhenAll(holders);
        }

        Assert.Equal(7m, (await sameKey).Quota.Current);
        Assert.Equal(9m, (await other).Quota.Current);
    }

    [Fact]
    public async Task CoalescedChecks_SharedQueryFails_EachWaiterFaultedWithThatFailure()
    {
        await using var world = await EntitlementWorld.StartAsync();
        var service = world.Host.Services.GetRequiredService<IEntitlementService>();
        var organizations = new Guid[3];
        for (var i = 0; i < organizations.Length; i++)
        {
            organizations[i] = Guid.NewGuid();
            await InstanceCalls.RegisterAsync(world.Host.Client, organizations[i]);
            await RecordAsync(world, organizations[i], "ai_tokens", i + 1);
        }

        var batcher = await BatcherAsync(world, service, organizations[0]);
        Task<EntitlementDecision>[] checks;
        await using (var locked = await TotalsLock.TakeAsync(world))
        {
            var holders = await HoldBothSlotsAsync(service, batcher, organizations[0]);
            checks = organizations.Select(o => service.CheckAsync(o, "ai_tokens", 1)).ToArray();
            await UntilAsync(() => batcher.Pending == 3, "the checks never joined the pending batch");

            // PostgreSQL cancels the two queries sent alone; their slots then send the batch, which waits on the lock in
            // turn, and is canceled too.
            await UntilAsync(async () => await locked.WaitingOnItAsync() == 2, "the two queries sent alone never reached the lock");
            await locked.CancelWaitingAsync();
            foreach (var holder in holders)
            {
                await Assert.ThrowsAsync<PostgresException>(() => holder);
            }

            await UntilAsync(async () => batcher.Pending == 0 && await locked.WaitingOnItAsync() == 1, "the batch never reached the lock");
            await locked.CancelWaitingAsync();
            var failures = new List<PostgresException>();
            foreach (var check in checks)
            {
                failures.Add(await Assert.ThrowsAsync<PostgresException>(() => check));
            }

            Assert.All(failures, f => Assert.Same(failures[0], f));
            Assert.Equal(PostgresErrorCodes.QueryCanceled, failures[0].SqlState);
            await locked.ReleaseAsync();
        }

        // The failure is not kept: the next check is answered.
        Assert.Equal(2m, (await service.CheckAsync(organizations[1], "ai_tokens", 1)).Quota.Current);
        await UntilAsync(() => batcher.InFlight == 0, "a slot was never given back");
    }

    private static async Task RecordAsync(EntitlementWorld world, Guid orgId, string metric, decimal quantity)
    {
        await using var scope = world.Host.Services.CreateAsyncScope();
        var now = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow();
        await scope.ServiceProvider.GetRequiredService<IUsageRecorder>().RecordAsync(orgId, new UsageEvent($"test-{Guid.NewGuid():N}", metric, quantity, now));
    }

    /// <summary>One check (which sets the store's read up), then the store's batcher.</summary>
    private static async Task<EntitlementReadBatcher> BatcherAsync(EntitlementWorld world, IEntitlementService service, Guid orgId)
    {
        await service.CheckAsync(orgId, "ai_tokens", 1);
        var store = (EntityFrameworkBillingStore)world.Host.Services.GetRequiredService<IBillingStore>();
        return store.EntitlementBatcher ?? throw new InvalidOperationException("the PostgreSQL store has no batcher");
    }

    /// <summary>Two checks sent alone, which wait on the lock: every read started after them joins the pending batch.</summary>
    private static async Task<Task<EntitlementDecision>[]> HoldBothSlotsAsync(IEntitlementService service, EntitlementReadBatcher batcher, Guid orgId)
    {
        Assert.Equal(0, batcher.InFlight);
        var holders = new[] { service.CheckAsync(orgId, "ai_tokens", 1), service.CheckAsync(orgId, "ai_tokens", 1) };
        await UntilAsync(() => batcher.InFlight == 2, "the two first checks never took the slots");
        Assert.Equal(0, batcher.Pending);
        return holders;
    }

    private static Task UntilAsync(Func<bool> condition, string failure) => UntilAsync(() => Task.FromResult(condition()), failure);

    private static async Task UntilAsync(Func<Task<bool>> condition, string failure)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(10);
        }
    }

    /// <summary><c>billing.usage_totals</c> locked by a transaction of another connection, until released.</summary>
    private sealed class TotalsLock : IAsyncDisposable
    {
        private readonly NpgsqlConnection _connection;
        private readonly string _connectionString;
        private NpgsqlTransaction? _transaction;

        private TotalsLock(NpgsqlConnection connection, NpgsqlTransaction transaction, string connectionString)
        {
            _connection = connection;
            _transaction = transaction;
            _connectionString = connectionString;
        }

        public static async Task<TotalsLock> TakeAsync(EntitlementWorld world)
        {
            // The host's database on the test cluster (a store given a data source has no connection string to show).
            string database;
            await using (var db = world.Host.CreateDbContext())
            {
                database = db.Database.GetDbConnection().Database;
            }

            var connectionString = new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString) { Database = database }.ConnectionString;
            var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            var transaction = await connection.BeginTransactionAsync();
            await using var command = new NpgsqlCommand("LOCK TABLE billing.usage_totals IN ACCESS EXCLUSIVE MODE", connection, transaction);
            await command.ExecuteNonQueryAsync();
            return new TotalsLock(connection, transaction, connectionString);
        }

        // The entitlement reads' statements (one key or a batch) as pg_stat_activity shows them, waiting for a lock.
        private const string WaitingReads = "FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%LEFT JOIN billing.usage_totals AS t%'";

        /// <summary>Entitlement reads waiting for the lock.</summary>
        public async Task<long> WaitingOnItAsync()
        {
            await using var connection = new NpgsqlConnection(_connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) " + WaitingReads, connection);
            return (long)(await command.ExecuteScalarAsync())!;
        }

        /// <summary>Cancels the entitlement reads waiting for the lock, as an operator's <c>pg_cancel_backend</c> would.</summary>
        public async Task CancelWaitingAsync()
        {
            await using var connection = new NpgsqlConnection(_connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT pg_cancel_backend(pid) " + WaitingReads, connection);
            await command.ExecuteNonQueryAsync();
        }

        public async Task ReleaseAsync()
        {
            if (_transaction is not null)
            {
                await _transaction.CommitAsync();
                await _transaction.DisposeAsync();
                _transaction = null;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await ReleaseAsync();
            await _connection.DisposeAsync();
        }
    }
}
