using System.Globalization;
using VaultAI.Billing.FaultTests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace VaultAI.Billing.FaultTests;

/// <summary>
/// Stripe refuses every meter event for a while (a 429 storm, or an outage answering 503), then comes back. The host
/// runs out of process on real time with short configured backoffs (base 0.1 s, cap 1 s): the outage lasts until every
/// row has been refused <see cref="AttemptsDuringOutage"/> times, which with the default backoff (base 5 s, doubling)
/// is 5 + 10 + 20 + 40 + 80 + 160 s = 5.25 minutes of waiting. No test sleeps five real minutes.
/// </summary>
[Collection(FaultCollection.Name)]
public class StripeOutageTests
{
    private const int Organizations = 12;
    private const int AttemptsDuringOutage = 6;

    [Theory(Timeout = 180_000)]
    [InlineData(429, 1)]
    [InlineData(429, null)]
    [InlineData(503, null)]
    public async Task Dispatch_StripeRefusesEveryMeterEventForAWhile_EverythingDeliveredExactlyOnceAfterwardsWithoutAnOperator(int status, int? retryAfterSeconds)
    {
        await using var rig = await FaultRig.StartAsync();
        var host = await rig.StartHostAsync();
        var outage = Guid.NewGuid();
        var answer = Response.Create()
            .WithStatusCode(status)
            .WithHeader("Content-Type", "application/json")
            .WithBody(status == 429
                ? """{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests made to the API too quickly."}}"""
                : """{"error":{"type":"api_error","message":"Stripe is temporarily unavailable."}}""");
        if (retryAfterSeconds is { } seconds)
        {
            answer = answer.WithHeader("Retry-After", seconds.ToString(CultureInfo.InvariantCulture));
        }

        rig.Stripe.Server
            .Given(Request.Create().WithPath("/v1/billing/meter_events").UsingPost())
            .WithGuid(outage)
            .AtPriority(1)
            .RespondWith(answer);

        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < Organizations; i++)
        {
            var id = Guid.NewGuid();
            var token = await rig.RegisterAndLinkAsync(host, id);
            using var response = await FaultRig.ReportAsync(host.Client, token, id, 5 + i, now.AddMinutes(-2));
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        // The outage lasts until every row has been refused several times: nothing given up, nothing marked failed.
        await Poll.UntilAsync(
            async () => (await rig.Ledger.OutboxAsync()) is { Count: Organizations } rows && rows.All(r => r.Attempts >= AttemptsDuringOutage),
            TimeSpan.FromSeconds(90),
            async () => string.Join(", ", (await rig.Ledger.OutboxAsync()).Select(r => $"{r.Status}/{r.Attempts}")));
        var duringOutage = await rig.Ledger.OutboxAsync();
        Assert.All(duringOutage, r => Assert.Equal("pending", r.Status));
        Assert.Empty(rig.Stripe.State.MeterEvents);

        rig.Stripe.Server.DeleteMapping(outage);

        await rig.AssertEveryReportBilledExactlyOnceAsync(Organizations, TimeSpan.FromSeconds(60));
        Assert.Contains(rig.Stripe.Requests, r => r.Path == "/v1/billing/meter_events" && r.StatusCode == status);
        Assert.False(host.HasExited, host.Output);
    }
}
