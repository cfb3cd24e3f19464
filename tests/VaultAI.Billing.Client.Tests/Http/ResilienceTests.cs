using System.Net;
using Polly.CircuitBreaker;

namespace VaultAI.Billing.Client.Tests;

public sealed class ResilienceTests
{
    private static readonly UsageReport Report = new(45, new DateTimeOffset(2026, 11, 3, 3, 0, 0, TimeSpan.Zero));

    private static async Task<(ContractBillingHost Server, TempFolder Folder, ClientHarness Instance)> RegisteredAsync(
        Action<VaultAIBillingClientOptions>? configure = null,
        BillingClientTuning? tuning = null)
    {
        var server = await ContractBillingHost.StartAsync();
        var folder = new TempFolder();
        var instance = ClientHarness.Create(server.BaseAddress, folder.Path, tuning: tuning, configure: configure);
        await instance.Client.RegisterAsync();
        return (server, folder, instance);
    }

    public static TheoryData<string> TransientFaults => ["500", "503", "408", "429", "timeout", "drop"];

    [Theory]
    [MemberData(nameof(TransientFaults))]
    public async Task ReportUsageAsync_TransientFaultTwice_RetriedAndCountedOnce(string kind)
    {
        var (server, folder, instance) = await RegisteredAsync(o => o.RequestTimeout = TimeSpan.FromMilliseconds(kind == "timeout" ? 2000 : 5000));
        await using (server)
        await using (instance)
        using (folder)
        {
            // Warm up (JIT, connection) so that only the injected faults can exceed the per-attempt timeout.
            await instance.Client.ReportUsageAsync(Report with { Timestamp = Report.Timestamp.AddDays(-1) });
            var attemptsBefore = server.Attempts(ContractBillingHost.Usage);

            Fault Make() => kind switch
            {
                "timeout" => Fault.Slow(TimeSpan.FromSeconds(10)),
                "drop" => Fault.DropConnection(),
                "429" => Fault.TooManyRequests("1"),
                _ => Fault.Http(int.Parse(kind, System.Globalization.CultureInfo.InvariantCulture)),
            };
            server.Enqueue(ContractBillingHost.Usage, Make(), Make());

            var result = await instance.Client.ReportUsageAsync(Report);

            Assert.False(result.Duplicate);
            Assert.Equal(3, server.Attempts(ContractBillingHost.Usage) - attemptsBefore);
            Assert.Equal(2, server.AcceptedReports.Count);
            var retries = instance.Logs.GetSnapshot().Where(e => e.Id.Name == "RetryingRequest").ToList();
            Assert.True(retries.Count == 2, string.Join(Environment.NewLine, retries.Select(e => e.Message)));
        }
    }

    [Fact]
    public async Task ReportUsageAsync_ServerKeepsFailing_GivesUpAfterMaxRetryAttemptsAsTransient()
    {
        var (server, folder, instance) = await RegisteredAsync(o => o.MaxRetryAttempts = 2);
        await using (server)
        await using (instance)
        using (folder)
        {
            server.Outage = Fault.Http(503);

            var ex = await Assert.ThrowsAsync<VaultAIBillingException>(() => instance.Client.ReportUsageAsync(Report));

            Assert.Equal(HttpStatusCode.ServiceUnavailable, ex.StatusCode);
            Assert.True(ex.IsTransient);
            Assert.Equal(3, server.Attempts(ContractBillingHost.Usage));
        }
    }

    [Fact]
    public async Task ReportUsageAsync_BadRequest_NotRetriedAndProblemSurfaced()
    {
        var (server, folder, instance) = await RegisteredAsync();
        await using (server)
        await using (instance)
        using (folder)
        {
            server.Enqueue(ContractBillingHost.Usage, Fault.BadRequest("user_count"));

            var ex = await Assert.ThrowsAsync<VaultAIBillingException>(() => instance.Client.ReportUsageAsync(Report));

            Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
            Assert.False(ex.IsTransient);
            Assert.Equal("validation_failed", ex.Problem?.Code);
            Assert.Equal("user_count", ex.Problem?.Field);
            Assert.Equal("https://vaultai.dev/problems/validation_failed", ex.Problem?.Type);
            Assert.True(ex.Problem?.Errors?.ContainsKey("user_count"));
            Assert.Equal(1, server.Attempts(ContractBillingHost.Usage));
        }
    }

    [Fact]
    public async Task ReportUsageAsync_RepeatedFailures_CircuitOpensAndStopsCallingTheHost()
    {
        var tuning = ClientHarness.FastTuning();
        tuning.BreakerMinimumThroughput = 3;
        tuning.BreakerFailureRatio = 0.5;
        tuning.BreakerSamplingDuration = TimeSpan.FromSeconds(30);
        tuning.BreakerBreakDuration = TimeSpan.FromSeconds(30);
        var (server, folder, instance) = await RegisteredAsync(o => o.MaxRetryAttempts = 4, tuning);
        await using (server)
        await using (instance)
        using (folder)
        {
            server.Outage = Fault.Http(500);

            var first = await Assert.ThrowsAsync<VaultAIBillingException>(() => instance.Client.ReportUsageAsync(Report));
            var attemptsWhenOpened = server.Attempts(ContractBillingHost.Usage);
            var second = await Assert.ThrowsAsync<VaultAIBillingException>(() => instance.Client.ReportUsageAsync(Report));

            // The breaker opened before the retries were exhausted (5 attempts without it).
            Assert.InRange(attemptsWhenOpened, 1, 4);
            Assert.IsType<BrokenCircuitException>(second.InnerException, exactMatch: false);
            Assert.Null(second.StatusCode);
            Assert.True(second.IsTransient);
            Assert.Equal(attemptsWhenOpened, server.Attempts(ContractBillingHost.Usage));
            Assert.Contains(instance.Logs.GetSnapshot(), e => e.Id.Name == "CircuitOpened");
        }
    }
}
