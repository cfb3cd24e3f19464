using System.Net;

namespace VaultAI.Billing.Client.Tests;

public sealed class RegistrationFlowTests
{
    [Fact]
    public async Task RegisterThenReportThenStatus_FirstRun_StoresTokenOwnerOnlyAndReportsOnce()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path);

        var registration = await instance.Client.RegisterAsync();

        Assert.True(registration.TokenIssued);
        Assert.False(registration.AlreadyRegistered);
        Assert.Equal(ClientHarness.DefaultOrganizationId, registration.OrganizationId);
        Assert.Equal("pending", registration.OrganizationStatus);
        Assert.Equal(BillingClientState.Registered, instance.Client.State);
        var tokenFile = Path.Combine(folder.Path, FileBillingTokenStore.DefaultFileName);
        var token = (await File.ReadAllTextAsync(tokenFile)).Trim();
        Assert.StartsWith("vaultai_", token, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokenFile));
        }

        var report = new UsageReport(45, new DateTimeOffset(2026, 11, 3, 3, 0, 0, TimeSpan.Zero));
        var first = await instance.Client.ReportUsageAsync(report);
        var resent = await instance.Client.ReportUsageAsync(report);

        Assert.False(first.Duplicate);
        Assert.True(resent.Duplicate);
        Assert.Equal(first.ReportId, resent.ReportId);
        Assert.Single(server.AcceptedReports);
        Assert.Equal("Bearer " + token, server.LastUsageHeaders["Authorization"]);
        Assert.Equal($"{ClientHarness.DefaultOrganizationId:D}:active_users:2026-11-03", server.LastUsageHeaders["Idempotency-Key"]);

        var status = await instance.Client.GetStatusAsync();

        Assert.Equal("pending", status.SubscriptionStatus);
        Assert.Equal(ClientHarness.DefaultOrganizationId, status.OrganizationId);
        Assert.False(status.IsStale);
        Assert.Equal(100, status.Entitlements!.Value.GetProperty("max_users").GetInt32());
    }

    [Fact]
    public async Task ReportUsageAsync_WireBody_IsSnakeCaseWithUtcTimestamp()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path);

        await instance.Client.ReportUsageAsync(new UsageReport(12, new DateTimeOffset(2026, 11, 3, 4, 0, 0, TimeSpan.FromHours(1))));

        var body = server.LastUsageBody!;
        Assert.Equal(ClientHarness.DefaultOrganizationId.ToString("D"), body["organization_id"]!.GetValue<string>());
        Assert.Equal("Acme", body["organization_name"]!.GetValue<string>());
        Assert.Equal("acme.example.com", body["instance_url"]!.GetValue<string>());
        Assert.Equal(12, body["user_count"]!.GetValue<long>());
        Assert.Equal("2026-11-03T03:00:00Z", body["timestamp"]!.GetValue<string>());
        Assert.Equal(5, body.Count);
    }

    [Fact]
    public async Task RegisterAsync_SecondTimeWithStoredToken_IsAlreadyRegisteredAndKeepsToken()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path);
        await instance.Client.RegisterAsync();
        var token = await instance.TokenStore.GetTokenAsync(CancellationToken.None);

        var again = await instance.Client.RegisterAsync();

        Assert.True(again.AlreadyRegistered);
        Assert.False(again.TokenIssued);
        Assert.Equal(token, await instance.TokenStore.GetTokenAsync(CancellationToken.None));
        Assert.Equal(1, server.OrganizationCount);
    }

    [Fact]
    public async Task RegisterAsync_OrganizationExistsAndNoToken_SurfacesTokenLostWithoutNewId()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var original = new TempFolder();
        using var wiped = new TempFolder();
        await using (var first = ClientHarness.Create(server.BaseAddress, original.Path))
        {
            await first.Client.RegisterAsync();
        }

        // Same organization, token file gone (for example a reinstalled instance).
        await using var instance = ClientHarness.Create(server.BaseAddress, wiped.Path);

        var ex = await Assert.ThrowsAsync<BillingTokenLostException>(() => instance.Client.RegisterAsync());

        Assert.Equal(HttpStatusCode.Conflict, ex.StatusCode);
        Assert.Equal("organization_exists", ex.Problem?.Code);
        Assert.Equal(ClientHarness.DefaultOrganizationId, ex.OrganizationId);
        Assert.Equal(BillingClientState.TokenLost, instance.Client.State);
        Assert.Equal(1, server.OrganizationCount);
        Assert.Null(await instance.TokenStore.GetTokenAsync(CancellationToken.None));
        Assert.Contains(instance.Logs.GetSnapshot(), e => e.Level == Microsoft.Extensions.Logging.LogLevel.Error && e.Message.Contains("must reset", StringComparison.Ordinal));
        await Assert.ThrowsAsync<BillingTokenLostException>(() => instance.Client.ReportUsageAsync(new UsageReport(1, DateTimeOffset.UnixEpoch)));
    }

    [Fact]
    public async Task DrainAsync_TokenLost_KeepsReportInSpoolAndBlocks()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var original = new TempFolder();
        using var wiped = new TempFolder();
        await using (var first = ClientHarness.Create(server.BaseAddress, original.Path))
        {
            await first.Client.RegisterAsync();
        }

        await using var instance = ClientHarness.Create(server.BaseAddress, wiped.Path);
        await instance.Dispatcher.CollectAsync(new DateOnly(2026, 11, 3), CancellationToken.None);

        var outcome = await instance.Dispatcher.DrainAsync(CancellationToken.None);

        Assert.Equal(DrainOutcome.Blocked, outcome);
        Assert.Equal(1, instance.Spool.CountPending());
        Assert.Empty(server.AcceptedReports);
    }

    [Fact]
    public async Task RegisterAsync_EnrollmentKeyConfigured_IsSentAndAccepted()
    {
        await using var server = await ContractBillingHost.StartAsync();
        server.RequiredEnrollmentKey = "enroll-" + Guid.NewGuid().ToString("N");
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, configure: o => o.EnrollmentKey = server.RequiredEnrollmentKey);

        var result = await instance.Client.RegisterAsync();

        Assert.True(result.TokenIssued);
    }

    [Fact]
    public async Task RegisterAsync_WrongEnrollmentKey_ThrowsWithProblemAndIsNotRetried()
    {
        await using var server = await ContractBillingHost.StartAsync();
        server.RequiredEnrollmentKey = "enroll-" + Guid.NewGuid().ToString("N");
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path, configure: o => o.EnrollmentKey = "wrong");

        var ex = await Assert.ThrowsAsync<VaultAIBillingException>(() => instance.Client.RegisterAsync());

        Assert.Equal(HttpStatusCode.Forbidden, ex.StatusCode);
        Assert.Equal("enrollment_key_invalid", ex.Problem?.Code);
        Assert.False(ex.IsTransient);
        Assert.Equal(1, server.Attempts(ContractBillingHost.Register));
    }

    [Fact]
    public async Task Logs_AfterRegistrationAndFailures_NeverContainTheToken()
    {
        await using var server = await ContractBillingHost.StartAsync();
        using var folder = new TempFolder();
        await using var instance = ClientHarness.Create(server.BaseAddress, folder.Path);
        await instance.Client.RegisterAsync();
        server.Enqueue(ContractBillingHost.Usage, Fault.Http(500), Fault.BadRequest("user_count"));
        var ex = await Assert.ThrowsAsync<VaultAIBillingException>(() => instance.Client.ReportUsageAsync(new UsageReport(1, DateTimeOffset.UnixEpoch)));
        var token = await instance.TokenStore.GetTokenAsync(CancellationToken.None);

        Assert.NotEmpty(instance.Logs.GetSnapshot());
        Assert.DoesNotContain(instance.Logs.GetSnapshot(), e => (e.Message + e.Exception).Contains(token!, StringComparison.Ordinal));
        Assert.DoesNotContain(token!, ex.ToString(), StringComparison.Ordinal);
    }
}
