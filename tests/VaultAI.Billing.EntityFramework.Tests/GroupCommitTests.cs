using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using VaultAI.Billing.EntityFramework.Internal;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Storage;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests;

/// <summary>
/// Group commit of single usage reports: while the host's report statements in flight are at their bound, arriving reports
/// go together in one batch (one transaction). To make batches certain rather than likely, each test first fills every
/// slot with reports of one organization whose row the test holds locked, queues the reports under test behind them, and
/// then lets go: the queued reports can only go in batches. Everything is then counted from the database.
/// </summary>
public sealed class GroupCommitTests
{
    [Fact]
    public async Task GroupCommit_ManyOrganizationsQueued_EachReportRecordedExactlyOnce()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var at = stripe.Clock.GetUtcNow();

        // 24 organizations, a third linked (billed: an outbox row per report); each reports once first, so the burst below
        // takes the warm path, and 8 more are never seen by this host (their reports are first reports, the daily case).
        var warm = await RegisterAsync(host, 24);
        foreach (var (org, _) in warm.Take(8))
        {
            (await InstanceCalls.LinkAsync(host.Admin, org)).EnsureSuccessStatusCode();
        }

        foreach (var (org, token) in warm)
        {
            using var first = await InstanceCalls.ReportAsync(host.Client, token, org, 1, at.AddMinutes(-10), "warm-up");
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var cold = await RegisterAsync(host, 8);
        var all = warm.Concat(cold).ToList();

        var store = Store(host);
        var batchedBefore = store.GroupCommit.BatchedStatements;
        List<HttpResponseMessage> responses;
        await using (var hold = await SlotHold.StartAsync(host))
        {
            var burst = all.SelectMany(o => Enumerable.Range(0, 3).Select(i => InstanceCalls.ReportAsync(host.Client, o.Token, o.Org, 10 + i, at.AddMinutes(-i), $"burst-{i}"))).ToList();
            await WaitForAsync(() => store.GroupCommit.Waiting >= burst.Count, "the burst to queue behind the held slots");
            await hold.ReleaseAsync();
            responses = [.. await Task.WhenAll(burst)];
        }

        foreach (var response in responses)
        {
            using (response)
            {
                var json = await InstanceCalls.ReadJsonAsync(response);
                Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToString());
                Assert.False(json.GetProperty("duplicate").GetBoolean());
            }
        }

        Assert.True(store.GroupCommit.BatchedStatements - batchedBefore >= responses.Count, "the queued reports went in batches");
        await using var db = host.CreateDbContext();
        foreach (var (org, _) in all)
        {
            var expected = warm.Any(w => w.Org == org) ? 4 : 3;
            Assert.Equal(expected, await db.UsageReports.CountAsync(r => r.OrganizationId == org));
            Assert.Equal(expected, await db.UsageEvents.CountAsync(e => e.OrganizationId == org));
            var totals = await db.UsageTotals.AsNoTracking().Where(t => t.OrganizationId == org).ToListAsync();
            Assert.Equal(expected, totals.Sum(t => t.EventCount));
        }

        foreach (var (org, _) in warm.Take(8))
        {
            // The three burst reports are billed once each; the warm-up report was already billed after the link.
            Assert.Equal(4, await db.MeterEventOutbox.CountAsync(m => m.OrganizationId == org));
        }

        var unlinked = all.Skip(8).Select(o => o.Org).ToList();
        Assert.Equal(0, await db.MeterEventOutbox.CountAsync(m => unlinked.Contains(m.OrganizationId)));
    }

    [Fact]
    public async Task GroupCommit_SameKeyQueuedManyTimes_OneInsertAndDuplicatesCarryTheOriginal()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var (org, token) = (await RegisterAsync(host, 1))[0];
        (await InstanceCalls.LinkAsync(host.Admin, org)).EnsureSuccessStatusCode();
        var at = stripe.Clock.GetUtcNow();
        using (var warmUp = await InstanceCalls.ReportAsync(host.Client, token, org, 5, at.AddMinutes(-5), "warm-up"))
        {
            Assert.Equal(HttpStatusCode.OK, warmUp.StatusCode);
        }

        var store = Store(host);
        HttpResponseMessage[] responses;
        await using (var hold = await SlotHold.StartAsync(host))
        {
            var sends = Enumerable.Range(0, 12).Select(_ => InstanceCalls.ReportAsync(host.Client, token, org, 77, at, "same-key")).ToList();
            await WaitForAsync(() => store.GroupCommit.Waiting >= sends.Count, "the repeats to queue behind the held slots");
            await hold.ReleaseAsync();
            responses = await Task.WhenAll(sends);
        }

        var answers = new List<(bool Duplicate, string ReportId)>();
        foreach (var response in responses)
        {
            using (response)
            {
                var json = await InstanceCalls.ReadJsonAsync(response);
                Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToString());
                answers.Add((json.GetProperty("duplicate").GetBoolean(), json.GetProperty("report_id").GetString()!));
            }
        }

        Assert.Single(answers, a => !a.Duplicate);
        Assert.Single(answers.Select(a => a.ReportId).Distinct());

        await using var db = host.CreateDbContext();
        var stored = await db.UsageReports.AsNoTracking().SingleAsync(r => r.OrganizationId == org && r.IdempotencyKey == "same-key");
        Assert.Equal(answers[0].ReportId, stored.Id.ToString());
        Assert.Equal(77, stored.Quantity);
        Assert.Equal(2, await db.UsageEvents.CountAsync(e => e.OrganizationId == org));
        Assert.Equal(2, (await db.UsageTotals.AsNoTracking().Where(t => t.OrganizationId == org).ToListAsync()).Sum(t => t.EventCount));
        Assert.Equal(1, await db.MeterEventOutbox.CountAsync(m => m.UsageReportId == stored.Id));
    }

    [Fact]
    public async Task GroupCommit_OneStatementOfTheBatchFails_OthersRecordedOnceAndTheBadOneFailsAlone()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var registered = await RegisterAsync(host, 7);
        var at = stripe.Clock.GetUtcNow();
        var store = Store(host);
        var failedBefore = store.GroupCommit.FailedBatches;

        // The bad report belongs to the organization sorted last, which sends nothing else (a batch takes one statement per
        // organization), so every good statement comes before it in the same batch: had the batch kept what ran before the
        // error, their second run alone would answer "duplicate".
        var last = registered.Max(o => o.Org);
        var orgs = registered.Where(o => o.Org != last).ToList();

        Task<HttpResponseMessage>[] good;
        Task<IngestResult> bad;
        await using (var hold = await SlotHold.StartAsync(host))
        {
            good = [.. orgs.Select(o => InstanceCalls.ReportAsync(host.Client, o.Token, o.Org, 9, at, "good"))];
            await WaitForAsync(() => store.GroupCommit.Waiting >= good.Length, "the good reports to queue");

            // A report PostgreSQL refuses (a NUL byte in its key, which no text column accepts), queued with the others
            // through the store's own entry point: its statement errors inside the batch.
            var report = new UsageReport
            {
                Id = Guid.NewGuid(),
                OrganizationId = last,
                Metric = "active_users",
                Quantity = 3,
                OccurredAt = at,
                ReceivedAt = at,
                IdempotencyKey = "bad\0key",
                Source = "test",
            };
            bad = store.IngestUsageAsync(report, null, null, MetricAggregation.Last, (_, _) => null);
            await WaitForAsync(() => store.GroupCommit.Waiting >= good.Length + 1, "the bad report to queue");
            await hold.ReleaseAsync();
            await Assert.ThrowsAnyAsync<Exception>(() => bad);
        }

        foreach (var response in await Task.WhenAll(good))
        {
            using (response)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.False((await InstanceCalls.ReadJsonAsync(response)).GetProperty("duplicate").GetBoolean());
            }
        }

        Assert.True(store.GroupCommit.FailedBatches > failedBefore, "the batch with the bad statement failed");
        await using var db = host.CreateDbContext();
        foreach (var (org, _) in orgs)
        {
            Assert.Equal(1, await db.UsageReports.CountAsync(r => r.OrganizationId == org));
            Assert.Equal(1, await db.UsageEvents.CountAsync(e => e.OrganizationId == org));
            Assert.Equal(1, (await db.UsageTotals.AsNoTracking().Where(t => t.OrganizationId == org).ToListAsync()).Sum(t => t.EventCount));
        }
    }

    [Fact]
    public async Task GroupCommit_ReportsWhileOrganizationsAreLinked_NoneLostNoneTwiceEachBilledReportQueuedOnce()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var orgs = await RegisterAsync(host, 6);
        var at = stripe.Clock.GetUtcNow();
        foreach (var (org, token) in orgs)
        {
            using var first = await InstanceCalls.ReportAsync(host.Client, token, org, 1, at.AddMinutes(-30), "warm-up");
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var store = Store(host);
        List<HttpResponseMessage> responses;
        HttpResponseMessage[] links;
        await using (var hold = await SlotHold.StartAsync(host))
        {
            // Queued as pending organizations' reports; the links commit while they wait, so the batch finds the rows changed
            // and those reports decide again on the linked organization.
            var reports = orgs.SelectMany(o => Enumerable.Range(0, 8).Select(i => InstanceCalls.ReportAsync(host.Client, o.Token, o.Org, 20 + i, at.AddMinutes(-i), $"during-{i}"))).ToList();
            await WaitForAsync(() => store.GroupCommit.Waiting >= reports.Count, "the reports to queue", () => store.GroupCommit.Waiting + " " + Activity(host.ConnectionString));
            var linking = orgs.Select(o => InstanceCalls.LinkAsync(host.Admin, o.Org)).ToList();
            var more = orgs.SelectMany(o => Enumerable.Range(8, 8).Select(i => InstanceCalls.ReportAsync(host.Client, o.Token, o.Org, 20 + i, at.AddMinutes(-i), $"during-{i}"))).ToList();
            await hold.ReleaseAsync();
            links = await Task.WhenAll(linking);
            responses = [.. await Task.WhenAll(reports.Concat(more))];
        }

        foreach (var link in links)
        {
            using (link)
            {
                Assert.Equal(HttpStatusCode.OK, link.StatusCode);
            }
        }

        foreach (var response in responses)
        {
            using (response)
            {
                var json = await InstanceCalls.ReadJsonAsync(response);
                Assert.True(response.StatusCode == HttpStatusCode.OK, json.ToString());
                Assert.False(json.GetProperty("duplicate").GetBoolean());
            }
        }

        await using var db = host.CreateDbContext();
        foreach (var (org, _) in orgs)
        {
            Assert.Equal(17, await db.UsageReports.CountAsync(r => r.OrganizationId == org));
            Assert.Equal(17, await db.UsageEvents.CountAsync(e => e.OrganizationId == org));
            Assert.Equal(17, (await db.UsageTotals.AsNoTracking().Where(t => t.OrganizationId == org).ToListAsync()).Sum(t => t.EventCount));

            // Every report written as billed has its outbox row, and no report has two (the link may also queue the latest
            // report it finds, billed or not).
            var billed = await db.UsageReports.Where(r => r.OrganizationId == org && r.Billable).Select(r => r.Id).ToListAsync();
            var queued = await db.MeterEventOutbox.Where(m => m.OrganizationId == org).Select(m => m.UsageReportId).ToListAsync();
            Assert.Equal(queued.Count, queued.Distinct().Count());
            Assert.All(billed, id => Assert.Contains((Guid?)id, queued));
        }
    }

    [Fact]
    public async Task GroupCommit_RequestCanceledWhileQueued_RecordedAtMostOnceAndItsRetryAgrees()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var (org, token) = (await RegisterAsync(host, 1))[0];
        var at = stripe.Clock.GetUtcNow();
        using (var warmUp = await InstanceCalls.ReportAsync(host.Client, token, org, 5, at.AddMinutes(-5), "warm-up"))
        {
            Assert.Equal(HttpStatusCode.OK, warmUp.StatusCode);
        }

        var store = Store(host);
        var report = new UsageReport
        {
            Id = Guid.NewGuid(),
            OrganizationId = org,
            Metric = "active_users",
            Quantity = 6,
            OccurredAt = at,
            ReceivedAt = at,
            IdempotencyKey = "canceled",
            Source = "test",
        };
        await using (var hold = await SlotHold.StartAsync(host))
        {
            // The request gives up while its statement waits for a batch: the batch is not the request's to cancel.
            using var cancel = new CancellationTokenSource();
            var canceled = store.IngestUsageAsync(report, null, null, MetricAggregation.Last, (_, _) => null, cancel.Token);
            await WaitForAsync(() => store.GroupCommit.Waiting >= 1, "the report to queue");
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => canceled);
            await hold.ReleaseAsync();
        }

        await WaitForAsync(() => store.GroupCommit.Waiting == 0, "the queue to drain");
        using var retry = await InstanceCalls.SendAsync(
            host.Client,
            HttpMethod.Post,
            "/api/usage-report",
            token,
            $$"""{"organization_id":"{{org}}","user_count":6,"timestamp":"{{at.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}}"}""",
            "canceled");
        var json = await InstanceCalls.ReadJsonAsync(retry);
        Assert.True(retry.StatusCode == HttpStatusCode.OK, json.ToString());

        await using var db = host.CreateDbContext();
        var stored = await db.UsageReports.AsNoTracking().SingleAsync(r => r.OrganizationId == org && r.IdempotencyKey == "canceled");
        Assert.Equal(stored.Id.ToString(), json.GetProperty("report_id").GetString());
        Assert.Equal(stored.Id == report.Id, json.GetProperty("duplicate").GetBoolean());
        Assert.Equal(2, await db.UsageEvents.CountAsync(e => e.OrganizationId == org));
        Assert.Equal(2, (await db.UsageTotals.AsNoTracking().Where(t => t.OrganizationId == org).ToListAsync()).Sum(t => t.EventCount));
    }

    private static string Activity(string connectionString)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand("SELECT string_agg(s, ' | ') FROM (SELECT coalesce(state,'') || '/' || coalesce(wait_event_type,'') || '/' || coalesce(wait_event,'') || '/' || left(query, 30) || ' x' || count(*) AS s FROM pg_stat_activity WHERE datname = current_database() GROUP BY 1=1, state, wait_event_type, wait_event, left(query, 30)) x", connection);
        return command.ExecuteScalar()?.ToString() ?? "";
    }

    private static EntityFrameworkBillingStore Store(BillingTestHost host) =>
        (EntityFrameworkBillingStore)host.Services.GetRequiredService<IBillingStore>();

    private static async Task<List<(Guid Org, string Token)>> RegisterAsync(BillingTestHost host, int count)
    {
        var organizations = new List<(Guid, string)>();
        for (var i = 0; i < count; i++)
        {
            var org = Guid.NewGuid();
            organizations.Add((org, await InstanceCalls.RegisterAsync(host.Client, org)));
        }

        return organizations;
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, Func<string>? state = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what} ({state?.Invoke()}).");
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Fills every report slot of the host: locks one organization's row (<c>FOR UPDATE</c>, as a link does) and sends as
    /// many of its reports as there are slots, which wait on the lock. Releasing rolls the lock back; those reports then go
    /// through and are recorded.
    /// </summary>
    private sealed class SlotHold : IAsyncDisposable
    {
        private readonly NpgsqlConnection _connection;
        private readonly NpgsqlTransaction _transaction;
        private readonly Task<HttpResponseMessage[]> _held;
        private bool _released;

        private SlotHold(NpgsqlConnection connection, NpgsqlTransaction transaction, Task<HttpResponseMessage[]> held)
        {
            _connection = connection;
            _transaction = transaction;
            _held = held;
        }

        public static async Task<SlotHold> StartAsync(BillingTestHost host)
        {
            var org = Guid.NewGuid();
            var token = await InstanceCalls.RegisterAsync(host.Client, org);
            var connection = new NpgsqlConnection(host.ConnectionString);
            await connection.OpenAsync();
            var transaction = await connection.BeginTransactionAsync();
            await using (var command = new NpgsqlCommand("SELECT 1 FROM billing.organizations WHERE id = @id FOR UPDATE", connection, transaction))
            {
                command.Parameters.AddWithValue("id", org);
                await command.ExecuteScalarAsync();
            }

            var at = DateTimeOffset.UtcNow;
            var held = Task.WhenAll(Enumerable.Range(0, ReportGroupCommit.MaxInFlight).Select(i => InstanceCalls.ReportAsync(host.Client, token, org, i, at, $"hold-{i}")));
            await WaitForAsync(() => LockWaiters(host.ConnectionString) >= ReportGroupCommit.MaxInFlight, "every slot to wait on the held row");
            return new SlotHold(connection, transaction, held);
        }

        public async Task ReleaseAsync()
        {
            if (_released)
            {
                return;
            }

            _released = true;
            await _transaction.RollbackAsync();
            foreach (var response in await _held)
            {
                using (response)
                {
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await ReleaseAsync();
            await _transaction.DisposeAsync();
            await _connection.DisposeAsync();
        }

        private static int LockWaiters(string connectionString)
        {
            using var connection = new NpgsqlConnection(connectionString);
            connection.Open();
            using var command = new NpgsqlCommand("SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", connection);
            return (int)command.ExecuteScalar()!;
        }
    }
}
