using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Testing;
using VaultAI.Billing.Webhooks;
using Signer = VaultAI.Billing.Testing.StripeWebhookSignature;

namespace VaultAI.Billing.EntityFramework.Tests;

public sealed class WebhookTests
{
    public static TheoryData<string, int> SignatureCases() => new()
    {
        { "valid", 200 },
        { "two v1, second valid", 200 },
        { "wrong secret", 400 },
        { "body changed by one byte", 400 },
        { "301 s old", 400 },
        { "301 s ahead", 400 },
        { "missing header", 400 },
        { "malformed header", 400 },
        { "only v0", 400 },
        { "empty body", 400 },
    };

    [Theory]
    [MemberData(nameof(SignatureCases))]
    public async Task Signature_IsCheckedOnTheRawBodyBeforeAnythingIsStored(string scenario, int expected)
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var now = stripe.Clock.GetUtcNow();
        var secret = stripe.WebhookSecret;
        var body = Encoding.UTF8.GetBytes($$$$$"""{"id":"evt_sig_{{{{{Guid.NewGuid():N}}}}}","object":"event","type":"ping.unknown","created":{{{{{now.ToUnixTimeSeconds()}}}}},"data":{"object":{"id":"x"}}}""");
        var t = now.ToUnixTimeSeconds();
        string? header = scenario switch
        {
            "valid" => Signer.CreateHeader(secret, t, body),
            "two v1, second valid" => $"t={t},v1={new string('0', 64)},v1={Signer.ComputeSignature(secret, t, body)}",
            "wrong secret" => Signer.CreateHeader("whsec_not_the_secret", t, body),
            "body changed by one byte" => Signer.CreateHeader(secret, t, body),
            "301 s old" => Signer.CreateHeader(secret, t - 301, body),
            "301 s ahead" => Signer.CreateHeader(secret, t + 301, body),
            "missing header" => null,
            "malformed header" => "this is not a signature",
            "only v0" => $"t={t},v0={Signer.ComputeSignature(secret, t, body)}",
            "empty body" => Signer.CreateHeader(secret, t, []),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };
        if (scenario == "body changed by one byte")
        {
            body[^3] = (byte)'y';
        }

        if (scenario == "empty body")
        {
            body = [];
        }

        using var response = await WebhookCalls.PostRawAsync(host, body, header);

        Assert.True((int)response.StatusCode == expected, $"{scenario}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        await using var db = host.CreateDbContext();
        Assert.Equal(expected == 200 ? 1 : 0, await db.WebhookEvents.CountAsync());
        if (expected != 200)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task SameEventDeliveredTwice_HasOneEffect()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var org = await SeedLinkedAsync(host, "sub_twice");
        var json = SubscriptionEvent("evt_twice", "customer.subscription.updated", "sub_twice", "cus_sub_twice", "past_due", stripe.Clock.GetUtcNow().AddMinutes(-1));

        using var first = await WebhookCalls.PostAsync(host, stripe, json);
        using var second = await WebhookCalls.PostAsync(host, stripe, json);

        Assert.Equal("processed", (await InstanceCalls.ReadJsonAsync(first)).GetProperty("outcome").GetString());
        Assert.Equal("duplicate", (await InstanceCalls.ReadJsonAsync(second)).GetProperty("outcome").GetString());
        await using var db = host.CreateDbContext();
        var row = await db.WebhookEvents.SingleAsync();
        Assert.Equal(1, row.Attempts);
        var updated = await db.Organizations.SingleAsync(o => o.Id == org);
        Assert.Equal(OrganizationStatus.PastDue, updated.Status);
    }

    [Fact]
    public async Task FiftyRandomOrders_FinalStateIsWhatTheNewestEventSays()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");
        var random = new Random(20261121);
        var start = stripe.Clock.GetUtcNow().AddHours(-1);

        for (var run = 0; run < 50; run++)
        {
            var withDelete = run % 2 == 0;
            var sub = $"sub_order_{run}";
            var orgId = await SeedLinkedAsync(host, sub);
            var periodEnd = start.AddDays(30 + run);
            var sequence = new List<string>
            {
                SubscriptionEvent($"evt_{run}_0", "customer.subscription.created", sub, "cus_" + sub, "trialing", start),
                SubscriptionEvent($"evt_{run}_1", "customer.subscription.updated", sub, "cus_" + sub, "active", start.AddSeconds(10)),
                SubscriptionEvent($"evt_{run}_2", "customer.subscription.updated", sub, "cus_" + sub, "past_due", start.AddSeconds(20)),
                SubscriptionEvent($"evt_{run}_3", "customer.subscription.updated", sub, "cus_" + sub, "active", start.AddSeconds(30), periodEnd),
            };
            if (withDelete)
            {
                sequence.Add(SubscriptionEvent($"evt_{run}_4", "customer.subscription.deleted", sub, "cus_" + sub, "canceled", start.AddSeconds(40)));
            }

            foreach (var json in sequence.OrderBy(_ => random.Next()))
            {
                using var response = await WebhookCalls.PostAsync(host, stripe, json);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            await using var db = host.CreateDbContext();
            var org = await db.Organizations.SingleAsync(o => o.Id == orgId);
            Assert.Equal(withDelete ? OrganizationStatus.Canceled : OrganizationStatus.Active, org.Status);
            if (!withDelete)
            {
                Assert.Equal(periodEnd.ToUnixTimeSeconds(), org.CurrentPeriodEnd!.Value.ToUnixTimeSeconds());
            }
        }
    }

    [Fact]
    public async Task TwoEventsOfOneSecondDeliveredTogether_EndOnWhatStripeHolds()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var organizations = new List<Guid>();
        for (var i = 0; i < 12; i++)
        {
            var id = Guid.NewGuid();
            await InstanceCalls.RegisterAsync(host.Client, id);
            (await InstanceCalls.LinkAsync(host.Admin, id)).EnsureSuccessStatusCode();
            organizations.Add(id);
        }

        // Stripe holds every subscription as trialing. Two events of one later second claim otherwise and arrive together,
        // as a renewal's 'updated' and its 'past_due' can: neither may overwrite the other with its claim.
        var at = stripe.Clock.GetUtcNow().AddMinutes(1);
        var deliveries = new List<Task<HttpResponseMessage>>();
        foreach (var sub in stripe.State.Subscriptions)
        {
            var active = SubscriptionEvent($"evt_{sub.Id}_a", "customer.subscription.updated", sub.Id, sub.CustomerId, "active", at);
            var pastDue = SubscriptionEvent($"evt_{sub.Id}_b", "customer.subscription.updated", sub.Id, sub.CustomerId, "past_due", at);
            deliveries.Add(WebhookCalls.PostAsync(host, stripe, active));
            deliveries.Add(WebhookCalls.PostAsync(host, stripe, pastDue));
        }

        foreach (var response in await Task.WhenAll(deliveries))
        {
            using (response)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        await using var db = host.CreateDbContext();
        var statuses = await db.Organizations.AsNoTracking().Where(o => organizations.Contains(o.Id)).Select(o => o.Status).ToListAsync();
        Assert.Equal(organizations.Count, statuses.Count);
        Assert.All(statuses, status => Assert.Equal(OrganizationStatus.Trial, status));
    }

    [Fact]
    public async Task UnknownSubscriptionAndUnknownType_AreStoredIgnoredAndAnswered200()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        await using var host = await BillingTestHost.StartAsync(stripe, "price_unused");

        using var unknownSub = await WebhookCalls.PostAsync(host, stripe, SubscriptionEvent("evt_unknown_sub", "customer.subscription.updated", "sub_nobody", "cus_nobody", "active", stripe.Clock.GetUtcNow()));
        using var unknownType = await WebhookCalls.PostAsync(host, stripe, $$$$$"""{"id":"evt_unknown_type","object":"event","type":"radar.early_fraud_warning.created","api_version":"2019-02-19","created":{{{{{stripe.Clock.GetUtcNow().ToUnixTimeSeconds()}}}}},"data":{"object":{"id":"issfr_1","object":"radar.early_fraud_warning"}}}""");

        Assert.Equal(HttpStatusCode.OK, unknownSub.StatusCode);
        Assert.Equal(HttpStatusCode.OK, unknownType.StatusCode);
        await using var db = host.CreateDbContext();
        var rows = await db.WebhookEvents.OrderBy(e => e.Id).ToListAsync();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(WebhookEventStatus.Ignored, r.Status));
        Assert.All(rows, r => Assert.False(string.IsNullOrEmpty(r.LastError)));
        Assert.Equal("2019-02-19", rows.Single(r => r.Id == "evt_unknown_type").ApiVersion);
    }

    [Fact]
    public async Task ProcessingFailure_Answers500IsRecordedAndRetriedByAdmin()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price, configure: o => o.Stripe.MaxRetries = 0);
        var orgId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(host.Client, orgId);
        (await InstanceCalls.LinkAsync(host.Admin, orgId)).EnsureSuccessStatusCode();
        var sub = stripe.State.Subscriptions.Single();
        var at = stripe.Clock.GetUtcNow();

        // Two events in the same second force a re-read of the subscription from Stripe, which fails.
        using (var first = await WebhookCalls.PostAsync(host, stripe, SubscriptionEvent("evt_tie_a", "customer.subscription.updated", sub.Id, sub.CustomerId, "trialing", at)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        stripe.InjectFault("/v1/subscriptions/*", StripeFault.Status(500), count: 1);
        using (var second = await WebhookCalls.PostAsync(host, stripe, SubscriptionEvent("evt_tie_b", "customer.subscription.updated", sub.Id, sub.CustomerId, "active", at)))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, second.StatusCode);
        }

        using (var failed = await host.Admin.GetAsync("/api/admin/webhooks?status=failed"))
        {
            var json = await InstanceCalls.ReadJsonAsync(failed);
            var item = Assert.Single(json.GetProperty("items").EnumerateArray());
            Assert.Equal("evt_tie_b", item.GetProperty("id").GetString());
            Assert.Contains("500", item.GetProperty("last_error").GetString(), StringComparison.Ordinal);
        }

        using var retry = await host.Admin.PostAsync("/api/admin/webhooks/evt_tie_b/retry", null);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        await using var db = host.CreateDbContext();
        Assert.Equal(WebhookEventStatus.Processed, (await db.WebhookEvents.SingleAsync(e => e.Id == "evt_tie_b")).Status);
        // The re-read said what Stripe holds (trialing), whatever the tied event claimed.
        Assert.Equal(OrganizationStatus.Trial, (await db.Organizations.SingleAsync()).Status);
    }

    [Fact]
    public async Task FailedEvent_IsRetriedByTheBackgroundPassAfterItsBackoff()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price, configure: o => o.Stripe.MaxRetries = 0);
        var orgId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(host.Client, orgId);
        (await InstanceCalls.LinkAsync(host.Admin, orgId)).EnsureSuccessStatusCode();
        var sub = stripe.State.Subscriptions.Single();
        var at = stripe.Clock.GetUtcNow();
        (await WebhookCalls.PostAsync(host, stripe, SubscriptionEvent("evt_bg_a", "customer.subscription.updated", sub.Id, sub.CustomerId, "trialing", at))).EnsureSuccessStatusCode();
        stripe.InjectFault("/v1/subscriptions/*", StripeFault.Status(503), count: 1);
        using (var failed = await WebhookCalls.PostAsync(host, stripe, SubscriptionEvent("evt_bg_b", "customer.subscription.updated", sub.Id, sub.CustomerId, "active", at)))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        }

        var retrier = host.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<VaultAI.Billing.Webhooks.Internal.WebhookRetryService>().Single();
        Assert.Equal(0, await retrier.RetryDueAsync(CancellationToken.None)); // not due yet: it backs off

        stripe.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await retrier.RetryDueAsync(CancellationToken.None));
        await using var db = host.CreateDbContext();
        var row = await db.WebhookEvents.SingleAsync(e => e.Id == "evt_bg_b");
        Assert.Equal(WebhookEventStatus.Processed, row.Status);
        Assert.Equal(2, row.Attempts);
    }

    internal static async Task<Guid> SeedLinkedAsync(BillingTestHost host, string subscriptionId)
    {
        var orgId = Guid.NewGuid();
        await using var db = host.CreateDbContext();
        db.Organizations.Add(new Organization
        {
            Id = orgId,
            Name = "Seeded " + subscriptionId,
            StripeCustomerId = "cus_" + subscriptionId,
            StripeSubscriptionId = subscriptionId,
            PlanKey = BillingTestHost.PlanKey,
            DeploymentType = "on-premise",
            Status = OrganizationStatus.Trial,
            StripeSubscriptionStatus = "trialing",
            CreatedAt = DateTimeOffset.UnixEpoch,
            UpdatedAt = DateTimeOffset.UnixEpoch,
        });
        await db.SaveChangesAsync();
        return orgId;
    }

    internal static string SubscriptionEvent(string id, string type, string subscription, string customer, string status, DateTimeOffset created, DateTimeOffset? periodEnd = null)
    {
        var c = created.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var end = (periodEnd ?? created.AddDays(30)).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $$$$$"""{"id":"{{{{{id}}}}}","object":"event","api_version":"2026-10-28.endive","type":"{{{{{type}}}}}","created":{{{{{c}}}}},"livemode":false,"data":{"object":{"id":"{{{{{subscription}}}}}","object":"subscription","customer":"{{{{{customer}}}}}","status":"{{{{{status}}}}}","cancel_at_period_end":false,"created":{{{{{c}}}}},"metadata":{},"items":{"object":"list","data":[{"id":"si_{{{{{subscription}}}}}","object":"subscription_item","current_period_start":{{{{{c}}}}},"current_period_end":{{{{{end}}}}},"price":{"id":"price_unused","object":"price"}}],"has_more":false}}}}""";
    }
}

/// <summary>Delivers events as Stripe would: raw JSON with a Stripe-Signature header.</summary>
internal static class WebhookCalls
{
    public static Task<HttpResponseMessage> PostAsync(BillingTestHost host, StripeEmulator stripe, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        return PostRawAsync(host, body, Signer.CreateHeader(stripe.WebhookSecret, stripe.Clock.GetUtcNow().ToUnixTimeSeconds(), body));
    }

    public static async Task<HttpResponseMessage> PostRawAsync(BillingTestHost host, byte[] body, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/stripe/webhook") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Signature", signature);
        }

        return await host.Client.SendAsync(request);
    }
}
