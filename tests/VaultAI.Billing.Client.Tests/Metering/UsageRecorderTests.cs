using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace VaultAI.Billing.Client.Tests;

public sealed class UsageRecorderTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task RecordUsageAsync_NoIdNoTimestamp_UniqueUuidsAndTimestampsFromTheInjectedClock()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        var clock = FakeClock.At(Start.AddMilliseconds(250));
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, clock);

        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await instance.Usage.RecordUsageAsync("call_minutes", 12.345m));
        }

        Assert.Equal(20, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.True(Guid.TryParse(id, out _)));
        Assert.Equal(20, instance.EventSpool.CountPending());

        var result = await instance.Usage.FlushUsageAsync();

        Assert.Equal(new UsageFlushResult(20, 0, 0, 0, true), result);
        Assert.Equal(ids.Order(StringComparer.Ordinal), server.StoredEvents.Select(e => e.Id).Order(StringComparer.Ordinal));
        Assert.All(server.StoredEvents, e => Assert.Equal(Start.AddMilliseconds(250), e.Timestamp));

        // Exact decimal on the wire: the JSON number's text, never a double's rounding.
        Assert.All(server.StoredEvents, e => Assert.Equal("12.345", e.RawQuantity));
    }

    [Fact]
    public async Task RecordUsageAsync_GivenIdAndTimestamp_SentAsGivenAndSameIdKeptOnce()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, FakeClock.At(Start));
        var at = new DateTimeOffset(2026, 11, 1, 23, 30, 0, TimeSpan.FromHours(2));

        Assert.Equal("call/8812", await instance.Usage.RecordUsageAsync("storage_gb", 0.001m, at, "call/8812"));
        await instance.Usage.RecordUsageAsync("storage_gb", 0.001m, at, "call/8812");
        Assert.Equal(1, instance.EventSpool.CountPending());
        await instance.Usage.FlushUsageAsync();

        var stored = Assert.Single(server.StoredEvents);
        Assert.Equal("call/8812", stored.Id);
        Assert.Equal(at, stored.Timestamp);
        Assert.Equal(0.001m, stored.Quantity);
    }

    [Fact]
    public async Task RecordUsageAsync_InvalidArguments_ThrowsAndSpoolsNothing()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path);

        await Assert.ThrowsAsync<ArgumentException>(() => instance.Usage.RecordUsageAsync(" ", 1m));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => instance.Usage.RecordUsageAsync("call_minutes", -0.5m));
        await Assert.ThrowsAsync<ArgumentException>(() => instance.Usage.RecordUsageAsync("call_minutes", 1m, id: new string('x', 256)));
        await Assert.ThrowsAsync<ArgumentException>(() => instance.Usage.RecordUsageAsync("call_minutes", 1m, id: ""));

        Assert.Equal(0, instance.EventSpool.CountPending());
        Assert.Equal(255, (await instance.Usage.RecordUsageAsync("call_minutes", 0m, id: new string('x', 255))).Length);
    }

    [Fact]
    public async Task FlushUsageAsync_HostDownForAWeekAndInstanceRestarted_EveryEventDeliveredOnceInBatches()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        var clock = FakeClock.At(Start);
        void Configure(VaultAIBillingClientOptions o) => o.UsageBatchSize = 50;
        var recorded = new List<string>();
        await using (var offline = ClientHarness.Create(server.BaseAddress, folder.Path, clock, configure: Configure))
        {
            await offline.Client.RegisterAsync();
            server.Outage = Fault.Http(503);
            for (var hour = 0; hour < 7 * 24; hour++)
            {
                recorded.Add(await offline.Usage.RecordUsageAsync("call_minutes", 1.5m));
                if (hour % 24 == 23)
                {
                    var failed = await offline.Usage.FlushUsageAsync();
                    Assert.False(failed.Completed);
                    Assert.Equal(hour + 1, failed.Pending);
                }

                clock.Advance(TimeSpan.FromHours(1));
            }

            Assert.Empty(server.StoredEvents);
        }

        server.Outage = null;
        await using var restarted = ClientHarness.Create(server.BaseAddress, folder.Path, clock, configure: Configure);
        Assert.Equal(168, restarted.EventSpool.CountPending());

        var result = await restarted.Usage.FlushUsageAsync();

        Assert.Equal(new UsageFlushResult(168, 0, 0, 0, true), result);
        Assert.Equal(recorded.Order(StringComparer.Ordinal), server.StoredEvents.Select(e => e.Id).Order(StringComparer.Ordinal));
        Assert.Equal(0, server.DuplicateEventAnswers);
        Assert.Equal([50, 50, 50, 18], server.UsageEventBatchSizes);

        // Oldest first: the host stored them in the order they happened.
        Assert.Equal(server.StoredEvents.Select(e => e.Timestamp).Order(), server.StoredEvents.Select(e => e.Timestamp));
    }

    [Fact]
    public async Task FlushUsageAsync_ConnectionDroppedAfterHostStored_ResendAnsweredDuplicateAndCountedOnce()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, FakeClock.At(Start), configure: o => o.MaxRetryAttempts = 0);
        for (var i = 0; i < 3; i++)
        {
            await instance.Usage.RecordUsageAsync("call_minutes", 2m, id: "evt-" + i);
        }

        server.DropAfterStoring(1);
        var crashed = await instance.Usage.FlushUsageAsync();

        // The host stored the batch but the client never heard: nothing may leave the spool.
        Assert.False(crashed.Completed);
        Assert.Equal(3, crashed.Pending);
        Assert.Equal(3, server.StoredEvents.Count);

        var resent = await instance.Usage.FlushUsageAsync();

        Assert.Equal(new UsageFlushResult(0, 3, 0, 0, true), resent);
        Assert.Equal(3, server.StoredEvents.Count);
        Assert.Equal(6m, server.StoredEvents.Sum(e => e.Quantity));
        Assert.Equal(3, server.DuplicateEventAnswers);
    }

    [Fact]
    public async Task FlushUsageAsync_ProcessRestartedAfterHostStored_RestartedInstanceEndsWithEmptySpool()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        void NoRetry(VaultAIBillingClientOptions o) => o.MaxRetryAttempts = 0;
        await using (var crashed = ClientHarness.Create(server.BaseAddress, folder.Path, FakeClock.At(Start), configure: NoRetry))
        {
            await crashed.Usage.RecordUsageAsync("storage_gb", 4.5m, id: "disk-1");
            server.DropAfterStoring(1);
            Assert.False((await crashed.Usage.FlushUsageAsync()).Completed);
        }

        await using var restarted = ClientHarness.Create(server.BaseAddress, folder.Path, FakeClock.At(Start), configure: NoRetry);
        var result = await restarted.Usage.FlushUsageAsync();

        Assert.Equal(new UsageFlushResult(0, 1, 0, 0, true), result);
        Assert.Equal(0, restarted.EventSpool.CountPending());
        Assert.Equal(4.5m, Assert.Single(server.StoredEvents).Quantity);
    }

    [Fact]
    public async Task FlushUsageAsync_OneEventRefused_QuarantinesItWithCodeAndFieldAndDeliversTheOthers()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, FakeClock.At(Start));
        await instance.Usage.RecordUsageAsync("call_minutes", 1m, Start.AddMinutes(1), "good-1");
        await instance.Usage.RecordUsageAsync("no_such_metric", 1m, Start.AddMinutes(2), "bad-1");
        await instance.Usage.RecordUsageAsync("call_minutes", 1m, Start.AddMinutes(3), "good-2");

        var result = await instance.Usage.FlushUsageAsync();

        Assert.Equal(new UsageFlushResult(2, 0, 1, 0, true), result);
        Assert.Equal(["good-1", "good-2"], server.StoredEvents.Select(e => e.Id));
        Assert.Equal(1, instance.EventSpool.CountRejected());
        var rejected = Path.Combine(instance.EventSpool.RejectedDirectory, UsageEventSpool.FileNameFor("bad-1"));
        Assert.True(File.Exists(rejected));
        using var reason = JsonDocument.Parse(await File.ReadAllTextAsync(Path.ChangeExtension(rejected, ".problem.json")));
        Assert.Equal("unknown_metric", reason.RootElement.GetProperty("code").GetString());
        Assert.Equal("events[1].metric", reason.RootElement.GetProperty("field").GetString());
        Assert.Equal(400, reason.RootElement.GetProperty("http_status").GetInt32());
        Assert.Contains(instance.Logs.GetSnapshot(), e => e.Id.Name == "UsageEventRejected" && e.Message.Contains("bad-1", StringComparison.Ordinal));
        var listed = Assert.Single(await instance.Usage.GetRejectedUsageAsync());
        Assert.Equal(("bad-1", "no_such_metric", 1m, Start.AddMinutes(2)), (listed.Id, listed.Metric, listed.Quantity, listed.Timestamp));
        Assert.Equal((400, "unknown_metric", "events[1].metric"), (listed.HttpStatus, listed.Code, listed.Field));
        Assert.Equal(rejected, listed.Path);

        // The quarantined event is not sent again.
        var attempts = server.Attempts(ContractBillingHost.UsageEvents);
        Assert.Equal(new UsageFlushResult(0, 0, 0, 0, true), await instance.Usage.FlushUsageAsync());
        Assert.Equal(attempts, server.Attempts(ContractBillingHost.UsageEvents));
    }

    [Fact]
    public async Task Client_WithoutActiveUserCounter_StartsAndDeliversGenericUsage_AndReportsNoDay()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        var logs = new Microsoft.Extensions.Logging.Testing.FakeLoggerProvider();
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new());
        builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton<TimeProvider>(FakeClock.At(Start));
        builder.Services.AddSingleton(ClientHarness.FastTuning());
        builder.Services.AddVaultAIBillingClient(o =>
        {
            o.BaseAddress = server.BaseAddress;
            o.OrganizationId = ClientHarness.DefaultOrganizationId;
            o.OrganizationName = "Acme";
            o.InstanceUrl = "acme.example.com";
            o.SpoolDirectory = folder.Path;
        });
        using var host = builder.Build();

        await host.StartAsync();
        var usage = host.Services.GetRequiredService<IUsageRecorderClient>();
        await usage.RecordUsageAsync("call_minutes", 2.5m, Start.AddMinutes(-1), "only-metric-1");
        var result = await usage.FlushUsageAsync();
        await host.StopAsync();

        Assert.Equal(new UsageFlushResult(1, 0, 0, 0, true), result);
        Assert.Equal(2.5m, Assert.Single(server.StoredEvents).Quantity);
        Assert.Equal(0, server.Attempts(ContractBillingHost.Usage));
        Assert.Contains(logs.Collector.GetSnapshot(), e => e.Id.Name == "DailyReportOff");
    }

    [Fact]
    public async Task FlushUsageAsync_BadRequestNamingNoEvent_HalvesTheBatchUntilTheCulpritIsAlone()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, FakeClock.At(Start));
        for (var i = 0; i < 4; i++)
        {
            await instance.Usage.RecordUsageAsync("call_minutes", 1m, Start.AddMinutes(i), "evt-" + i);
        }

        await instance.Client.RegisterAsync();

        // Whole batch refused without an index, then the first half (evt-0, evt-1) refused again, then evt-0 alone.
        server.Enqueue(ContractBillingHost.UsageEvents, Fault.BadRequest("events"), Fault.BadRequest("events"), Fault.BadRequest("events"));
        var result = await instance.Usage.FlushUsageAsync();

        Assert.Equal(new UsageFlushResult(3, 0, 1, 0, true), result);
        Assert.Equal(["evt-1", "evt-2", "evt-3"], server.StoredEvents.Select(e => e.Id).Order(StringComparer.Ordinal));
        Assert.True(File.Exists(Path.Combine(instance.EventSpool.RejectedDirectory, UsageEventSpool.FileNameFor("evt-0"))));
    }

    [Fact]
    public async Task FlushUsageAsync_TooManyRequestsThenUnavailableWithRetryAfter_WaitsAsToldThenDelivers()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        var tuning = ClientHarness.FastTuning();
        tuning.RetryMaxDelay = TimeSpan.FromSeconds(5);
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, FakeClock.At(Start), tuning);
        await instance.Client.RegisterAsync();
        await instance.Usage.RecordUsageAsync("call_minutes", 3m);
        server.Enqueue(
            ContractBillingHost.UsageEvents,
            Fault.TooManyRequests("1"),
            new Fault(FaultKind.Status, 503, RetryAfter: "1", Code: "database_unavailable"));

        var watch = Stopwatch.StartNew();
        var result = await instance.Usage.FlushUsageAsync();
        watch.Stop();

        Assert.Equal(new UsageFlushResult(1, 0, 0, 0, true), result);
        Assert.Equal(3, server.Attempts(ContractBillingHost.UsageEvents));
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(1.9), $"waited only {watch.Elapsed}");
    }

    [Fact]
    public async Task FlushUsageAsync_HostKeepsFailing_KeepsEveryEventAndReportsIncomplete()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, FakeClock.At(Start));
        await instance.Client.RegisterAsync();
        await instance.Usage.RecordUsageAsync("call_minutes", 3m);
        server.Outage = Fault.TooManyRequests("0");

        var result = await instance.Usage.FlushUsageAsync();

        Assert.Equal(new UsageFlushResult(0, 0, 0, 1, false), result);
        Assert.Equal(4, server.Attempts(ContractBillingHost.UsageEvents)); // the first try and MaxRetryAttempts = 3 retries
        Assert.Equal(0, instance.EventSpool.CountRejected());
    }

    [Fact]
    public async Task FlushUsageAsync_TokenRefused_MarksTokenInvalidKeepsEventsAndPausesUntilTheTokenChanges()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, FakeClock.At(Start));
        await instance.Client.RegisterAsync();
        var newToken = server.RotateToken(ClientHarness.DefaultOrganizationId);
        await instance.Usage.RecordUsageAsync("call_minutes", 3m);

        var refused = await instance.Usage.FlushUsageAsync();
        var attempts = server.Attempts(ContractBillingHost.UsageEvents);
        var paused = await instance.Usage.FlushUsageAsync();

        Assert.False(refused.Completed);
        Assert.Equal(1, refused.Pending);
        Assert.Equal(BillingClientState.TokenInvalid, instance.Client.State);
        Assert.False(paused.Completed);
        Assert.Equal(attempts, server.Attempts(ContractBillingHost.UsageEvents));

        await instance.TokenStore.SetTokenAsync(newToken, CancellationToken.None);
        Assert.Equal(new UsageFlushResult(1, 0, 0, 0, true), await instance.Usage.FlushUsageAsync());
    }

    [Fact]
    public async Task UsageEventFlusher_EveryFlushInterval_SendsWithoutAnExplicitFlush()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        var clock = FakeClock.At(Start);
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, clock, configure: o => o.UsageFlushInterval = TimeSpan.FromSeconds(30));
        await instance.StartAsync();
        await instance.Usage.RecordUsageAsync("call_minutes", 7m, id: "background-1");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (server.StoredEvents.Count == 0)
        {
            clock.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(20, timeout.Token);
        }

        Assert.Equal("background-1", Assert.Single(server.StoredEvents).Id);
        while (instance.EventSpool.CountPending() > 0)
        {
            await Task.Delay(20, timeout.Token);
        }

        Assert.Equal(0, instance.EventSpool.CountPending());
    }

    [Fact]
    public async Task GetUsageAsync_AfterFlush_MapsTheWireShapeAndServesTheCacheDuringAnOutage()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        var clock = FakeClock.At(Start);
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, clock);
        server.Limits["call_minutes"] = 100m;
        await instance.Usage.RecordUsageAsync("call_minutes", 12.5m);
        await instance.Usage.RecordUsageAsync("call_minutes", 2.25m);
        await instance.Usage.FlushUsageAsync();

        var usage = await instance.Usage.GetUsageAsync();

        Assert.Equal(ClientHarness.DefaultOrganizationId, usage.OrganizationId);
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), usage.PeriodStart);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), usage.PeriodEnd);
        Assert.Equal("starter", usage.Plan);
        Assert.Equal(new MetricUsage("call_minutes", "minutes", 14.75m, null, 100m, 14.75m, false), usage["call_minutes"]);
        Assert.Equal(new MetricUsage("storage_gb", "GB", 0m, null, null, null, true), usage["storage_gb"]);
        Assert.False(usage.IsStale);
        Assert.Equal(Start, usage.RetrievedAt);

        // Fresh cache: no second call.
        var reads = server.Attempts(ContractBillingHost.UsageRead);
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(14.75m, (await instance.Usage.GetUsageAsync())["call_minutes"]!.Current);
        Assert.Equal(reads, server.Attempts(ContractBillingHost.UsageRead));

        // Past the cache lifetime and the host is down: the last known usage, saying how old it is.
        server.Outage = Fault.DropConnection();
        clock.Advance(TimeSpan.FromMinutes(10));
        var stale = await instance.Usage.GetUsageAsync();

        Assert.True(stale.IsStale);
        Assert.Equal(Start, stale.RetrievedAt);
        Assert.Equal(TimeSpan.FromMinutes(10.5), stale.Age);
        Assert.Equal(14.75m, stale["call_minutes"]!.Current);
        Assert.True(server.Attempts(ContractBillingHost.UsageRead) > reads);
    }

    [Fact]
    public async Task GetUsageAsync_HostDownAndNothingCached_Throws()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, FakeClock.At(Start));
        await instance.Client.RegisterAsync();
        server.Outage = Fault.Http(503);

        var ex = await Assert.ThrowsAsync<VaultAIBillingException>(() => instance.Usage.GetUsageAsync());

        Assert.True(ex.IsTransient);
    }

    [Fact]
    public async Task FlushUsageAsync_UnreadableSpoolFileAndCrashLeftovers_SetAsideAndTheOthersDelivered()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        var events = Path.Combine(folder.Path, UsageEventSpool.EventsFolderName);
        Directory.CreateDirectory(events);
        await File.WriteAllTextAsync(Path.Combine(events, "torn.json"), "{\"id\":\"half");
        var leftover = Path.Combine(events, "x.json.0123" + AtomicFile.TempSuffix);
        await File.WriteAllTextAsync(leftover, "{");
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, FakeClock.At(Start));
        await instance.Usage.RecordUsageAsync("call_minutes", 1m, id: "fine");

        var result = await instance.Usage.FlushUsageAsync();

        Assert.Equal(new UsageFlushResult(1, 0, 0, 0, true), result);
        Assert.Equal("fine", Assert.Single(server.StoredEvents).Id);
        Assert.True(File.Exists(Path.Combine(instance.EventSpool.RejectedDirectory, "torn.json")));
        Assert.False(File.Exists(leftover));
        Assert.Contains(instance.Logs.GetSnapshot(), e => e.Id.Name == "SpoolEntryUnreadable");
    }
}
