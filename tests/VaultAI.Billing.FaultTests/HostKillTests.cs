using VaultAI.Billing.FaultTests.Support;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.FaultTests;

/// <summary>The billing host is killed (SIGKILL, whole process tree) in the middle of its work and started again on the same database.</summary>
[Collection(FaultCollection.Name)]
public class HostKillTests
{
    private const int Organizations = 24;

    [Fact(Timeout = 180_000)]
    public async Task Dispatch_HostKilledWhileStripeHasCountedButNotAnswered_RestartedHostBillsEveryReportExactlyOnce()
    {
        await using var rig = await FaultRig.StartAsync();
        // From here Stripe counts each meter event at once but answers only 5 s later.
        var (second, unrecorded) = await KillWhileStripeHoldsItsAnswerAsync(rig, "/v1/billing/meter_events", countedBeforeKill: 2);

        // The kill landed in the window that matters: Stripe had counted events the ledger still held as pending.
        Assert.NotEmpty(unrecorded);
        // WireMock logs the held request only when its (unread) answer is done, which may be after the resend.
        List<IGrouping<string, RecordedRequest>> Resent() => rig.Stripe.Requests
            .Where(r => r.Path == "/v1/billing/meter_events" && !r.Headers.ContainsKey("X-Fault-Forwarded") && r.Form.TryGetValue("identifier", out var identifier) && unrecorded.Any(u => u.Identifier == identifier))
            .GroupBy(r => r.Form["identifier"])
            .ToList();
        await Poll.UntilAsync(() => Resent().Any(g => g.Count() >= 2), TimeSpan.FromSeconds(20));
        Assert.All(Resent(), g => Assert.Single(g.Select(r => r.IdempotencyKey).Distinct()));
        Assert.False(second.HasExited, second.Output);
    }

    [Fact(Timeout = 180_000)]
    public async Task Dispatch_V2StreamHostKilledWhileStripeHasCountedButNotAnswered_RestartedHostBillsEveryReportExactlyOnce()
    {
        await using var rig = await FaultRig.StartAsync(settings: new Dictionary<string, string> { ["VaultAI:Billing:Dispatcher:Transport"] = "V2Stream" });
        // The stream counts a whole batch at once; its answer comes 5 s later.
        var (second, unrecorded) = await KillWhileStripeHoldsItsAnswerAsync(rig, "/v2/billing/meter_event_stream", countedBeforeKill: 1);

        Assert.NotEmpty(unrecorded);
        // The same identifier went out twice (the held request, logged once its answer is done, and the resend).
        await Poll.UntilAsync(
            () =>
            {
                var streamed = rig.Stripe.Requests.Where(r => r.Path == "/v2/billing/meter_event_stream" && !r.Headers.ContainsKey("X-Fault-Forwarded")).ToList();
                return unrecorded.Any(u => streamed.Count(r => r.Body.Contains($"\"{u.Identifier}\"", StringComparison.Ordinal)) >= 2);
            },
            TimeSpan.FromSeconds(20));
        Assert.False(second.HasExited, second.Output);
    }

    [Fact(Timeout = 180_000)]
    public async Task Webhooks_HostKilledWhileTrialEndWebhooksArrive_StripeRedeliversAndEveryEventIsAppliedOnce()
    {
        // Stripe retries a failed delivery for days; the emulator's retries span the restart (0.2 s doubling, 12 attempts).
        await using var rig = await FaultRig.StartAsync(
            new StripeEmulatorOptions { WebhookRetryBaseDelay = TimeSpan.FromMilliseconds(200), WebhookMaxAttempts = 12 },
            settings: new Dictionary<string, string>
            {
                // The emulator signs with its own clock, which the test moves two days on to end the trials.
                ["VaultAI:Billing:Webhooks:Tolerance"] = "3.00:00:00",
            });
        var port = HostProcess.FreePort();
        var first = await rig.StartHostAsync(port);
        rig.Stripe.AddWebhookEndpoint(new Uri(first.BaseAddress, "/api/stripe/webhook"));
        var organizations = new List<Guid>();
        for (var i = 0; i < 8; i++)
        {
            var id = Guid.NewGuid();
            await rig.RegisterAndLinkAsync(first, id, trialDays: 1);
            organizations.Add(id);
        }

        await rig.Stripe.Deliveries.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var before = rig.Stripe.Deliveries.Delivered.Count;
        var advance = rig.Stripe.AdvanceTimeAsync(TimeSpan.FromDays(2));
        await Poll.UntilAsync(() => rig.Stripe.Deliveries.Delivered.Count >= before + 6, TimeSpan.FromSeconds(60));
        await first.KillAsync();
        var second = await rig.StartHostAsync(port);
        await advance.WaitAsync(TimeSpan.FromSeconds(90));

        await rig.AssertEveryWebhookAppliedOnceAsync(TimeSpan.FromSeconds(30));
        // Some delivery hit the dead host and was delivered again: the scenario was not a clean stop between events.
        Assert.Contains(rig.Stripe.Deliveries.Delivered, d => d.Attempts > 1);
        var states = await rig.Ledger.OrganizationsAsync();
        Assert.All(organizations, id => Assert.Equal(("active", "active"), states.Where(o => o.Id == id).Select(o => (o.Status, o.StripeSubscriptionStatus ?? "")).Single()));
        Assert.False(second.HasExited, second.Output);
    }

    /// <summary>
    /// Registers and links <see cref="Organizations"/> organizations on a first host, makes Stripe count what arrives on
    /// <paramref name="path"/> at once but hold its answer, reports once per organization, kills the host once Stripe has
    /// counted <paramref name="countedBeforeKill"/> events, then starts a second host and waits until every report is billed
    /// exactly once. Returns the second host and the outbox rows Stripe had counted while the ledger still held them pending.
    /// </summary>
    private static async Task<(HostProcess Second, List<OutboxRow> Unrecorded)> KillWhileStripeHoldsItsAnswerAsync(FaultRig rig, string path, int countedBeforeKill)
    {
        var first = await rig.StartHostAsync();
        var now = DateTimeOffset.UtcNow;
        var tokens = new Dictionary<Guid, string>();
        for (var i = 0; i < Organizations; i++)
        {
            var id = Guid.NewGuid();
            tokens[id] = await rig.RegisterAndLinkAsync(first, id);
        }

        var stub = LostAnswers.HoldAnswers(rig.Stripe, path, TimeSpan.FromSeconds(5));
        var n = 0;
        foreach (var (id, token) in tokens)
        {
            using var response = await FaultRig.ReportAsync(first.Client, token, id, 10 + n++, now.AddMinutes(-1));
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        await Poll.UntilAsync(() => rig.Stripe.State.MeterEvents.Count >= countedBeforeKill, TimeSpan.FromSeconds(30));
        await first.KillAsync();
        var countedByStripe = rig.Stripe.State.MeterEvents.Select(e => e.Identifier).ToHashSet(StringComparer.Ordinal);
        var unrecorded = (await rig.Ledger.OutboxAsync()).Where(r => r.Status == "pending" && countedByStripe.Contains(r.Identifier)).ToList();
        rig.Stripe.Server.DeleteMapping(stub);

        var second = await rig.StartHostAsync();
        await rig.AssertEveryReportBilledExactlyOnceAsync(Organizations, TimeSpan.FromSeconds(60));
        return (second, unrecorded);
    }
}
