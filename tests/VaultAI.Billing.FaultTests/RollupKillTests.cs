using System.Globalization;
using System.Net.Http.Headers;
using VaultAI.Billing.FaultTests.Support;

namespace VaultAI.Billing.FaultTests;

/// <summary>The billing host is killed while Stripe has counted roll-ups of generic metrics but not yet answered.</summary>
[Collection(FaultCollection.Name)]
public class RollupKillTests
{
    private const int Organizations = 8;

    [Fact(Timeout = 240_000)]
    public async Task Rollups_HostKilledWhileStripeHasCountedButNotAnswered_RestartedHostBillsEveryWindowOnce()
    {
        // One-minute windows with a one-second grace, so real time closes them while the test waits.
        await using var rig = await FaultRig.StartAsync(settings: new Dictionary<string, string>
        {
            ["VaultAI:Billing:Metrics:call_minutes:Aggregation"] = "Sum",
            ["VaultAI:Billing:Metrics:call_minutes:Decimals"] = "2",
            ["VaultAI:Billing:Metrics:call_minutes:MeterEventName"] = "call_minutes",
            ["VaultAI:Billing:Metering:RollupWindow"] = "00:01:00",
            ["VaultAI:Billing:Metering:RollupGrace"] = "00:00:01",
        });
        var first = await rig.StartHostAsync();
        var tokens = new Dictionary<Guid, string>();
        for (var i = 0; i < Organizations; i++)
        {
            var id = Guid.NewGuid();
            tokens[id] = await rig.RegisterAndLinkAsync(first, id);
        }

        var stub = LostAnswers.HoldAnswers(rig.Stripe, "/v1/billing/meter_events", TimeSpan.FromSeconds(5));
        foreach (var (id, token) in tokens)
        {
            var at = DateTimeOffset.UtcNow.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/usage-events")
            {
                Content = FaultRig.Json($$"""{"events":[{"id":"a-{{id:N}}","metric":"call_minutes","quantity":1.25,"timestamp":"{{at}}"},{"id":"b-{{id:N}}","metric":"call_minutes","quantity":0.5,"timestamp":"{{at}}"}]}"""),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await first.Client.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        await Poll.UntilAsync(() => rig.Stripe.State.MeterEvents.Count >= 2, TimeSpan.FromSeconds(120));
        await first.KillAsync();
        var countedByStripe = rig.Stripe.State.MeterEvents.Select(e => e.Identifier).ToHashSet(StringComparer.Ordinal);
        var unrecorded = (await rig.Ledger.OutboxAsync()).Where(r => r.Status == "pending" && countedByStripe.Contains(r.Identifier)).ToList();
        rig.Stripe.Server.DeleteMapping(stub);

        var second = await rig.StartHostAsync();
        await Poll.UntilAsync(async () => (await rig.Ledger.OutboxAsync()).All(r => r.Status != "pending"), TimeSpan.FromSeconds(60));

        // The kill landed where it matters: Stripe had counted windows the ledger still held as pending.
        Assert.NotEmpty(unrecorded);
        var outbox = await rig.Ledger.OutboxAsync();
        Assert.All(outbox, r => Assert.True(r.Status == "sent" && r.Identifier.StartsWith("r:", StringComparison.Ordinal), $"{r.Identifier}: {r.Status} {r.LastError}"));
        var counted = rig.Stripe.State.MeterEvents;
        Assert.Equal(counted.Count, counted.Select(e => e.Identifier).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(
            outbox.Select(r => (r.Identifier, r.StripeCustomerId, r.Value)).OrderBy(r => r.Identifier, StringComparer.Ordinal),
            counted.Select(e => (e.Identifier, e.CustomerId ?? "", e.Value)).OrderBy(r => r.Identifier, StringComparer.Ordinal));
        // Each organization's 1.75 minutes reach Stripe as exactly 175 hundredths: nothing lost, nothing twice.
        var perCustomer = counted.GroupBy(e => e.CustomerId).Select(g => g.Sum(e => e.Value)).ToList();
        Assert.Equal(Organizations, perCustomer.Count);
        Assert.All(perCustomer, total => Assert.Equal(175, total));
        Assert.False(second.HasExited, second.Output);
    }
}
