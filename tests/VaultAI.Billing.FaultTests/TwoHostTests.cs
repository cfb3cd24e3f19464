using VaultAI.Billing.FaultTests.Support;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.FaultTests;

/// <summary>Two billing host processes on one database, both dispatching meter events and both receiving Stripe's webhooks.</summary>
[Collection(FaultCollection.Name)]
public class TwoHostTests
{
    private const int Organizations = 16;

    [Fact(Timeout = 180_000)]
    public async Task DispatchAndWebhooks_TwoHostsOnOneDatabase_EachEventSentOnceUnderOneIdentifierAndEachWebhookAppliedOnce()
    {
        await using var rig = await FaultRig.StartAsync(
            new StripeEmulatorOptions { WebhookRetryBaseDelay = TimeSpan.FromMilliseconds(100), WebhookMaxAttempts = 8 },
            settings: new Dictionary<string, string>
            {
                // Small claims, so both dispatchers find work; the emulator's clock is moved two days to end the trials.
                ["VaultAI:Billing:Dispatcher:BatchSize"] = "3",
                ["VaultAI:Billing:Webhooks:Tolerance"] = "3.00:00:00",
            });
        var first = await rig.StartHostAsync();
        var second = await rig.StartHostAsync();
        HostProcess[] hosts = [first, second];
        foreach (var host in hosts)
        {
            // Stripe sends every event to every endpoint; here both hosts are endpoints, so each event arrives twice.
            rig.Stripe.AddWebhookEndpoint(new Uri(host.BaseAddress, "/api/stripe/webhook"));
        }

        // Each meter event takes Stripe 0.3 s to answer, so the two dispatchers' claims overlap in time.
        var slow = LostAnswers.HoldAnswers(rig.Stripe, "/v1/billing/meter_events", TimeSpan.FromMilliseconds(300));
        // A claim names its owner (machine:pid:instance) until the row is completed: sample the claims while dispatch runs.
        var owners = new HashSet<string>(StringComparer.Ordinal);
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                owners.UnionWith((await rig.Ledger.OutboxAsync()).Where(r => r.LeaseOwner is not null).Select(r => r.LeaseOwner!));
                await Task.Delay(20);
            }
        });
        var now = DateTimeOffset.UtcNow;
        var organizations = new List<Guid>();
        for (var i = 0; i < Organizations; i++)
        {
            var id = Guid.NewGuid();
            var token = await rig.RegisterAndLinkAsync(hosts[i % 2], id, trialDays: 1);
            organizations.Add(id);
            for (var day = 1; day <= 2; day++)
            {
                using var response = await FaultRig.ReportAsync(hosts[(i + day) % 2].Client, token, id, (10 * i) + day, now.AddHours(-day));
                Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            }
        }

        await rig.AssertEveryReportBilledExactlyOnceAsync(Organizations * 2, TimeSpan.FromSeconds(90));
        await sampling.CancelAsync();
        await sampler;
        rig.Stripe.Server.DeleteMapping(slow);
        await rig.Stripe.AdvanceTimeAsync(TimeSpan.FromDays(2)).WaitAsync(TimeSpan.FromSeconds(90));
        await rig.AssertEveryWebhookAppliedOnceAsync(TimeSpan.FromSeconds(30));

        // Both hosts did dispatch.
        Assert.All(hosts, host => Assert.Contains(owners, owner => owner.Contains($":{host.ProcessId}:", StringComparison.Ordinal)));

        // No report went out under two identifiers: one identifier per (customer, timestamp) on the wire.
        var sent = rig.Stripe.Requests.Where(r => r.Path == "/v1/billing/meter_events" && r.Method == "POST" && r.Form.ContainsKey("identifier")).ToList();
        Assert.All(
            sent.GroupBy(r => (r.Form["payload[stripe_customer_id]"], r.Form["timestamp"])),
            g => Assert.Single(g.Select(r => r.Form["identifier"]).Distinct()));

        // Every event reached both hosts and is in the shared inbox once; the organizations followed the trial's end.
        Assert.All(rig.Stripe.Deliveries.Delivered.GroupBy(d => d.EventId), g => Assert.Equal(2, g.Select(d => d.Endpoint).Distinct().Count()));
        var states = await rig.Ledger.OrganizationsAsync();
        Assert.All(organizations, id => Assert.Equal("active", states.Single(o => o.Id == id).Status));
        Assert.All(hosts, host => Assert.False(host.HasExited, host.Output));
    }
}
