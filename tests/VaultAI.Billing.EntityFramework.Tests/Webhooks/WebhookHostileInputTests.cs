using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Testing;
using VaultAI.Billing.Webhooks;

namespace VaultAI.Billing.EntityFramework.Tests.Webhooks;

/// <summary>Issue 11: signed but hostile webhooks are parked (2xx, kept, replayable), never a 500 or a retry loop, and never logged raw.</summary>
public sealed class WebhookHostileInputTests
{
    public static TheoryData<string, string> OutOfRangeTimes() => new()
    {
        { "created", "9223372036854775807" },
        { "created", "-1" },
        { "created", "253402300800" },          // year 10000 in seconds: Stripe.net reads it as milliseconds (1978)
        { "trial_end", "9223372036854775807" },
        { "trial_end", "-9223372036854775808" },
        { "current_period_end", "99999999999999" }, // year 5138 in seconds: misread as 1973
        { "current_period_end", "-5" },
    };

    [Theory]
    [MemberData(nameof(OutOfRangeTimes))]
    public async Task Webhook_SignedEventWithOutOfRangeTime_IsParkedAnswered2xxAndChangesNothing(string field, string value)
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var orgId = await WebhookTests.SeedLinkedAsync(host, "sub_time");
        var json = WithTime(WebhookTests.SubscriptionEvent("evt_time", "customer.subscription.updated", "sub_time", "cus_sub_time", "past_due", stripe.Clock.GetUtcNow().AddMinutes(-1)), field, value);

        using var response = await WebhookCalls.PostAsync(host, stripe, json);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{field}={value}: {(int)response.StatusCode} {body}");
        Assert.Contains("\"outcome\":\"parked\"", body, StringComparison.Ordinal);
        await using var db = host.CreateDbContext();
        var row = await db.WebhookEvents.SingleAsync();
        Assert.Equal(WebhookEventStatus.Parked, row.Status);
        Assert.Contains(field, row.LastError, StringComparison.Ordinal);
        var org = await db.Organizations.SingleAsync(o => o.Id == orgId);
        Assert.Equal(OrganizationStatus.Trial, org.Status);
        Assert.Null(org.LastSubscriptionEventAt);
    }

    [Fact]
    public async Task Webhook_ParkedEventDeliveredAgain_Answers2xxWithoutRetryingAndTheBackgroundPassSkipsIt()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        await WebhookTests.SeedLinkedAsync(host, "sub_again");
        var json = WithTime(WebhookTests.SubscriptionEvent("evt_again", "customer.subscription.updated", "sub_again", "cus_sub_again", "active", stripe.Clock.GetUtcNow()), "created", "9223372036854775807");

        using var first = await WebhookCalls.PostAsync(host, stripe, json);
        using var second = await WebhookCalls.PostAsync(host, stripe, json);
        stripe.Clock.Advance(TimeSpan.FromDays(1));
        var retrier = host.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<VaultAI.Billing.Webhooks.Internal.WebhookRetryService>().Single();
        var retried = await retrier.RetryDueAsync(CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(0, retried);
        await using var db = host.CreateDbContext();
        var row = await db.WebhookEvents.SingleAsync();
        Assert.Equal(WebhookEventStatus.Parked, row.Status);
        Assert.Equal(1, row.Attempts);
    }

    [Fact]
    public async Task Webhook_TransientFailureOnEveryAttempt_IsParkedAfterMaxAttemptsListedAndAppliedByAnAdminRetry()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price, configure: o =>
        {
            o.Stripe.MaxRetries = 0;
            o.Webhooks.MaxAttempts = 3;
        });
        var orgId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(host.Client, orgId);
        (await InstanceCalls.LinkAsync(host.Admin, orgId)).EnsureSuccessStatusCode();
        var sub = stripe.State.Subscriptions.Single();
        var at = stripe.Clock.GetUtcNow();
        (await WebhookCalls.PostAsync(host, stripe, WebhookTests.SubscriptionEvent("evt_tr_a", "customer.subscription.updated", sub.Id, sub.CustomerId, "trialing", at))).EnsureSuccessStatusCode();
        // A second event in the same second needs a re-read from Stripe, which is down for the next three calls.
        stripe.InjectFault("/v1/subscriptions/*", StripeFault.Status(503), count: 3);
        var tied = WebhookTests.SubscriptionEvent("evt_tr_b", "customer.subscription.updated", sub.Id, sub.CustomerId, "active", at);

        var statuses = new List<int>();
        for (var delivery = 0; delivery < 4; delivery++)
        {
            using var response = await WebhookCalls.PostAsync(host, stripe, tied);
            statuses.Add((int)response.StatusCode);
        }

        Assert.Equal([500, 500, 200, 200], statuses);
        using (var parked = await host.Admin.GetAsync("/api/admin/webhooks?status=parked"))
        {
            var json = await InstanceCalls.ReadJsonAsync(parked);
            var item = Assert.Single(json.GetProperty("items").EnumerateArray());
            Assert.Equal("evt_tr_b", item.GetProperty("id").GetString());
            Assert.Contains("3 attempts", item.GetProperty("last_error").GetString(), StringComparison.Ordinal);
            Assert.Equal(1, json.GetProperty("counts").GetProperty("parked").GetInt32());
        }

        // Stripe is back: an administrator's retry applies the parked event.
        using var retry = await host.Admin.PostAsync("/api/admin/webhooks/evt_tr_b/retry", null);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(WebhookEventStatus.Processed, (await InstanceCalls.ReadJsonAsync(retry)).GetProperty("status").GetString());
        await using var db = host.CreateDbContext();
        Assert.Equal(WebhookEventStatus.Processed, (await db.WebhookEvents.SingleAsync(e => e.Id == "evt_tr_b")).Status);
        Assert.Equal("evt_tr_b", (await db.Organizations.SingleAsync(o => o.Id == orgId)).LastSubscriptionEventId);
    }

    [Fact]
    public async Task AdminRetry_ParkedMalformedEvent_StaysParkedWithItsReason()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var json = $$$$"""{"id":"evt_wrong_object","object":"event","type":"customer.subscription.updated","created":{{{{stripe.Clock.GetUtcNow().ToUnixTimeSeconds()}}}},"data":{"object":{"id":"in_1","object":"invoice","customer":"cus_1"}}}""";
        (await WebhookCalls.PostAsync(host, stripe, json)).EnsureSuccessStatusCode();

        using var retry = await host.Admin.PostAsync("/api/admin/webhooks/evt_wrong_object/retry", null);

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(WebhookEventStatus.Parked, (await InstanceCalls.ReadJsonAsync(retry)).GetProperty("status").GetString());
        await using var db = host.CreateDbContext();
        var row = await db.WebhookEvents.SingleAsync();
        Assert.Equal(WebhookEventStatus.Parked, row.Status);
        Assert.Contains("not a subscription", row.LastError, StringComparison.Ordinal);
        Assert.Equal(2, row.Attempts);
    }

    [Fact]
    public async Task Webhook_FieldsWithControlCharacters_AreEscapedAndCappedInEveryLogLine()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var collector = new FakeLogCollector();
        host.Services.GetRequiredService<ILoggerFactory>().AddProvider(new FakeLoggerProvider(collector));
        var now = stripe.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var forged = "\\r\\n2026-11-29 [Critical] forged line\\u001b[31m\\u0007";
        var longId = "sub_" + new string('x', 5000);
        string[] bodies =
        [
            // An unknown type full of control characters.
            $$$$"""{"id":"evt_log_type","object":"event","type":"ping.unknown{{{{forged}}}}","created":{{{{now}}}},"data":{"object":{"id":"x"}}}""",
            // Customer and subscription ids with control characters (unknown subscription: its id would be in the note).
            $$$$"""{"id":"evt_log_ids","object":"event","type":"customer.subscription.updated","created":{{{{now}}}},"data":{"object":{"id":"sub_{{{{forged}}}}","object":"subscription","customer":"cus_{{{{forged}}}}","status":"active"}}}""",
            // A clean unknown subscription id, but huge.
            $$$$"""{"id":"evt_log_long","object":"event","type":"customer.subscription.updated","created":{{{{now}}}},"data":{"object":{"id":"{{{{longId}}}}","object":"subscription","customer":"cus_1","status":"active"}}}""",
            // A NUL in the event id: not an event, never stored.
            $$$$"""{"id":"evt_\u0000{{{{forged}}}}","object":"event","type":"ping.unknown","created":{{{{now}}}},"data":{"object":{"id":"x"}}}""",
        ];

        foreach (var body in bodies)
        {
            using var response = await WebhookCalls.PostAsync(host, stripe, body);
            Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for {body[..40]}");
        }

        // Our own categories: EF's SQL logs carry newlines of their own (and parameters as '?').
        var records = collector.GetSnapshot().Where(r => r.Category?.StartsWith("VaultAI.Billing", StringComparison.Ordinal) == true).ToList();
        Assert.Contains(records, r => r.Message.Contains("evt_log_type", StringComparison.Ordinal));
        foreach (var record in records)
        {
            var texts = new List<string> { record.Message };
            texts.AddRange(record.StructuredState?.Select(p => p.Value ?? "") ?? []);
            foreach (var text in texts)
            {
                Assert.False(text.Any(c => char.IsControl(c) || char.IsSurrogate(c)), $"{record.Category}/{record.Id}: {Uri.EscapeDataString(text)}");
                Assert.InRange(text.Length, 0, 1999);
            }
        }

        Assert.Contains(records, r => r.Message.Contains("\\u000d\\u000a", StringComparison.Ordinal));
    }

    private static string WithTime(string json, string field, string value)
    {
        var pattern = field switch
        {
            "created" => "\"created\":",
            "trial_end" => "\"cancel_at_period_end\":false",
            _ => "\"current_period_end\":",
        };
        var index = json.IndexOf(pattern, StringComparison.Ordinal);
        Assert.True(index >= 0, pattern);
        if (field == "trial_end")
        {
            return json.Insert(index + pattern.Length, ",\"trial_end\":" + value);
        }

        var start = index + pattern.Length;
        var end = start;
        while (char.IsAsciiDigit(json[end]))
        {
            end++;
        }

        return json[..start] + value + json[end..];
    }
}
