using System.Collections.Concurrent;
using System.Net;
using VaultAI.Billing.FaultTests.Support;

namespace VaultAI.Billing.FaultTests;

/// <summary>PostgreSQL goes away under a running host (fast shutdown) and comes back; the host is not restarted.</summary>
[Collection(FaultCollection.Name)]
public class PostgresRestartTests
{
    private const int Organizations = 8;
    private const int ReportsEach = 4;

    [Fact(Timeout = 180_000)]
    public async Task Ingestion_PostgresStoppedAndStartedWhileClientsReport_EveryReportStoredOnceAndHostRecoversAlone()
    {
        await using var postgres = await PrivatePostgres.StartAsync();
        await using var rig = await FaultRig.StartAsync(connectionString: postgres.DatabaseConnectionString);
        var host = await rig.StartHostAsync();
        var pid = host.ProcessId;
        var organizations = new List<(Guid Id, string Token)>();
        for (var i = 0; i < Organizations; i++)
        {
            var id = Guid.NewGuid();
            organizations.Add((id, await rig.RegisterAndLinkAsync(host, id)));
        }

        var now = DateTimeOffset.UtcNow;
        var work = new ConcurrentQueue<(Guid Id, string Token, long Users, DateTimeOffset At)>(
            Enumerable.Range(0, ReportsEach).SelectMany(k => organizations.Select((o, i) => (o.Id, o.Token, (long)(100 * k + i), now.AddHours(-k - 1)))));
        var acknowledged = new ConcurrentBag<(Guid, DateTimeOffset, HttpStatusCode)>();
        var refusals = new ConcurrentBag<string>();
        var wrongAnswers = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        // What a client with a spool does: send, and on a refusal or a broken connection send the same report again.
        async Task ClientAsync()
        {
            while (work.TryDequeue(out var report))
            {
                while (true)
                {
                    stop.Token.ThrowIfCancellationRequested();
                    try
                    {
                        using var response = await FaultRig.ReportAsync(host.Client, report.Token, report.Id, report.Users, report.At);
                        var status = (int)response.StatusCode;
                        if (response.IsSuccessStatusCode)
                        {
                            acknowledged.Add((report.Id, report.At, response.StatusCode));
                            break;
                        }

                        if (status >= 500)
                        {
                            refusals.Add($"{status} {response.Content.Headers.ContentType?.MediaType} retry-after={response.Headers.RetryAfter?.Delta?.TotalSeconds}");
                        }
                        else
                        {
                            wrongAnswers.Add($"{status} {await response.Content.ReadAsStringAsync()}");
                            break;
                        }
                    }
                    catch (HttpRequestException exception)
                    {
                        refusals.Add("connection: " + exception.Message);
                    }

                    await Task.Delay(100, stop.Token);
                }

                // A trickle, not a burst: reports keep arriving while the database is away.
                await Task.Delay(50, stop.Token);
            }
        }

        var clients = Enumerable.Range(0, 3).Select(_ => Task.Run(ClientAsync)).ToArray();
        await Poll.UntilAsync(() => acknowledged.Count >= Organizations, TimeSpan.FromSeconds(60));
        await postgres.StopAsync();
        try
        {
            // Down until the clients have felt it, then back.
            await Poll.UntilAsync(() => refusals.Count >= 3, TimeSpan.FromSeconds(30));
        }
        finally
        {
            await postgres.StartServerAsync();
        }

        await Task.WhenAll(clients);

        Assert.Empty(wrongAnswers);
        Assert.Equal(Organizations * ReportsEach, acknowledged.Count);
        Assert.NotEmpty(refusals);
        // The host stayed up, so every refusal is its answer: 503 problem details asking to retry, never a bare 500.
        Assert.All(refusals, r => Assert.Equal("503 application/problem+json retry-after=5", r));
        await host.WaitReadyAsync(TimeSpan.FromSeconds(30));
        await rig.AssertEveryReportBilledExactlyOnceAsync(Organizations * ReportsEach, TimeSpan.FromSeconds(60));
        Assert.Equal(pid, host.ProcessId);
        Assert.False(host.HasExited, host.Output);
    }
}
