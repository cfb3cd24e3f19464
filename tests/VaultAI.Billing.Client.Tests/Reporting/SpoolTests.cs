using System.Text.Json;

namespace VaultAI.Billing.Client.Tests;

public sealed class SpoolTests
{
    private static readonly DateOnly Day = new(2026, 11, 3);

    [Fact]
    public async Task CollectAsync_SameDayTwice_CountsOnceAndWritesOneFile()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path);

        var first = await instance.Dispatcher.CollectAsync(Day, CancellationToken.None);
        var second = await instance.Dispatcher.CollectAsync(Day, CancellationToken.None);

        Assert.NotNull(first);
        Assert.Null(second);
        Assert.Equal(1, instance.Counter.Calls);
        var file = Assert.Single(Directory.GetFiles(instance.Spool.ReportsDirectory, "*.json"));
        Assert.Equal(UsageSpool.FileNameFor(first.IdempotencyKey), Path.GetFileName(file));
        Assert.Equal($"{ClientHarness.DefaultOrganizationId:D}:active_users:2026-11-03", first.IdempotencyKey);
    }

    [Fact]
    public async Task DrainAsync_CrashBetweenSendAndDelete_ResendIsDuplicateAndCountedOnce()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path);
        var report = await instance.Dispatcher.CollectAsync(Day, CancellationToken.None);

        // The send reached the host, then the process died before deleting the spool file.
        var client = (BillingClient)instance.Client;
        var firstSend = await client.SendUsageAsync(report!.ToWire(), report.IdempotencyKey, CancellationToken.None);
        Assert.Equal(1, instance.Spool.CountPending());

        var outcome = await instance.Dispatcher.DrainAsync(CancellationToken.None);

        Assert.Equal(DrainOutcome.Completed, outcome);
        Assert.Equal(0, instance.Spool.CountPending());
        var accepted = Assert.Single(server.AcceptedReports);
        Assert.Equal(firstSend.ReportId, accepted.ReportId.ToString());
        Assert.Equal(1, server.DuplicateAnswers);
    }

    [Fact]
    public async Task DrainAsync_BadRequest_NotRetriedAndMovedToRejectedWithProblem()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path);
        await instance.Client.RegisterAsync();
        var report = await instance.Dispatcher.CollectAsync(Day, CancellationToken.None);
        server.Enqueue(ContractBillingHost.Usage, Fault.BadRequest("user_count"));

        var outcome = await instance.Dispatcher.DrainAsync(CancellationToken.None);

        Assert.Equal(DrainOutcome.Completed, outcome);
        Assert.Equal(1, server.Attempts(ContractBillingHost.Usage));
        Assert.Equal(0, instance.Spool.CountPending());
        var rejected = Path.Combine(instance.Spool.RejectedDirectory, UsageSpool.FileNameFor(report!.IdempotencyKey));
        Assert.True(File.Exists(rejected));
        using var reason = JsonDocument.Parse(await File.ReadAllTextAsync(Path.ChangeExtension(rejected, ".problem.json")));
        Assert.Equal(400, reason.RootElement.GetProperty("http_status").GetInt32());
        Assert.Equal("validation_failed", reason.RootElement.GetProperty("problem").GetProperty("code").GetString());
        Assert.Equal("user_count", reason.RootElement.GetProperty("problem").GetProperty("field").GetString());
        Assert.Contains(instance.Logs.GetSnapshot(), e => e.Id.Name == "ReportRejected");

        // A rejected day is not counted again either.
        Assert.Null(await instance.Dispatcher.CollectAsync(Day, CancellationToken.None));
    }

    [Fact]
    public async Task DrainAsync_ServerError_KeepsReportAndReportsTransientFailure()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path);
        await instance.Client.RegisterAsync();
        await instance.Dispatcher.CollectAsync(Day, CancellationToken.None);
        server.Outage = Fault.Http(503);

        var outcome = await instance.Dispatcher.DrainAsync(CancellationToken.None);

        Assert.Equal(DrainOutcome.TransientFailure, outcome);
        Assert.Equal(1, instance.Spool.CountPending());
    }

    [Fact]
    public async Task DrainAsync_TokenRefused_KeepsSpoolAndStopsSendingUntilTokenChanges()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path);
        await instance.Client.RegisterAsync();
        await instance.Dispatcher.CollectAsync(Day, CancellationToken.None);
        var newToken = server.RotateToken(ClientHarness.DefaultOrganizationId);

        var refused = await instance.Dispatcher.DrainAsync(CancellationToken.None);
        var attemptsAfterRefusal = server.Attempts(ContractBillingHost.Usage);
        var stillBlocked = await instance.Dispatcher.DrainAsync(CancellationToken.None);

        Assert.Equal(DrainOutcome.Blocked, refused);
        Assert.Equal(DrainOutcome.Blocked, stillBlocked);
        Assert.Equal(attemptsAfterRefusal, server.Attempts(ContractBillingHost.Usage));
        Assert.Equal(BillingClientState.TokenInvalid, instance.Client.State);
        Assert.Equal(1, instance.Spool.CountPending());
        Assert.Contains(instance.Logs.GetSnapshot(), e => e.Id.Name == "TokenRejected");

        // The operator pastes the token the administrator issued into the token file; no restart needed.
        await File.WriteAllTextAsync(Path.Combine(folder.Path, FileBillingTokenStore.DefaultFileName), newToken + "\n");
        var resumed = await instance.Dispatcher.DrainAsync(CancellationToken.None);

        Assert.Equal(DrainOutcome.Completed, resumed);
        Assert.Single(server.AcceptedReports);
        Assert.Equal(0, instance.Spool.CountPending());
    }

    [Fact]
    public async Task DrainAsync_RegistrationRefused_KeepsReportsInsteadOfRejectingThem()
    {
        await using var server = await ContractBillingHost.StartAsync();
        server.RequiredEnrollmentKey = "enroll-" + Guid.NewGuid().ToString("N");
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, configure: o => o.EnrollmentKey = "wrong");
        await instance.Dispatcher.CollectAsync(Day, CancellationToken.None);

        var outcome = await instance.Dispatcher.DrainAsync(CancellationToken.None);

        Assert.Equal(DrainOutcome.Blocked, outcome);
        Assert.Equal(1, instance.Spool.CountPending());
        Assert.False(Directory.Exists(instance.Spool.RejectedDirectory));
        Assert.Equal(0, server.Attempts(ContractBillingHost.Usage));
    }

    [Fact]
    public async Task DrainAsync_SeveralDays_SendsOldestFirst()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        var clock = FakeClock.At(new DateTimeOffset(2026, 11, 5, 4, 0, 0, TimeSpan.Zero));
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, clock);

        // Collected in reverse order of their timestamps, to show the order comes from the timestamps.
        foreach (var day in new[] { 5, 3, 4 })
        {
            await instance.Spool.WriteAsync(
                new SpooledReport(
                    IdempotencyKeys.ForDay(ClientHarness.DefaultOrganizationId, "active_users", new DateOnly(2026, 11, day)),
                    "active_users",
                    new DateOnly(2026, 11, day),
                    ClientHarness.DefaultOrganizationId,
                    "Acme",
                    "acme.example.com",
                    day,
                    new DateTimeOffset(2026, 11, day, 3, 0, 0, TimeSpan.Zero),
                    clock.GetUtcNow()),
                CancellationToken.None);
        }

        await instance.Dispatcher.DrainAsync(CancellationToken.None);

        Assert.Equal(new long[] { 3, 4, 5 }, server.AcceptedReports.Select(r => r.UserCount));
    }

    [Fact]
    public async Task SpoolFiles_AreOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix permissions only.
        }

        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path);

        var report = await instance.Dispatcher.CollectAsync(Day, CancellationToken.None);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(instance.Spool.PathFor(report!.IdempotencyKey)));
    }
}

public sealed class ReportMetricsTests
{
    [Fact]
    public async Task DrainAsync_ReportSent_RecordedOnVaultAIBillingMeter()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path);
        var meterFactory = instance.Services.GetService(typeof(System.Diagnostics.Metrics.IMeterFactory));
        var measurements = new System.Collections.Concurrent.ConcurrentQueue<(string Name, long Value)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == BillingClientMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, meterFactory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => measurements.Enqueue((instrument.Name, value)));
        listener.Start();

        await instance.Dispatcher.CollectAsync(new DateOnly(2026, 11, 3), CancellationToken.None);
        await instance.Dispatcher.DrainAsync(CancellationToken.None);

        Assert.NotNull(meterFactory);
        Assert.Contains(("vaultai.billing.client.reports.spooled", 1L), measurements);
        Assert.Contains(("vaultai.billing.client.reports.sent", 1L), measurements);
    }
}
