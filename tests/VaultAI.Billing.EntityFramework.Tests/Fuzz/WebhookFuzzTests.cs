using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit.Abstractions;
using VaultAI.Billing.Testing;
using VaultAI.Billing.Webhooks;
using Signer = VaultAI.Billing.Testing.StripeWebhookSignature;

namespace VaultAI.Billing.EntityFramework.Tests.Fuzz;

/// <summary>
/// Issue 11: a bounded, deterministic fuzz of <c>POST /api/stripe/webhook</c> on PostgreSQL and the emulator. Every
/// class of hostile body, signed with the emulator's secret (and some not, or badly): no 5xx ever; every 4xx is a
/// problem with a code and changes no table; a well-signed event is answered 2xx and adds exactly its inbox row
/// (parked when malformed); no organization changes.
/// </summary>
public sealed class WebhookFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20261129;
    private const int Cases = 1500;

    /// <summary>What a case must do to the database.</summary>
    private enum Expect
    {
        /// <summary>4xx problem; no table changes.</summary>
        Rejected,

        /// <summary>2xx; exactly one new inbox row, parked.</summary>
        Parked,

        /// <summary>2xx; exactly one new inbox row, not parked (an unknown type or customer: ignored).</summary>
        Stored,

        /// <summary>2xx; nothing new (a redelivery of a parked event).</summary>
        Redelivered,

        /// <summary>Anything but a 5xx; at most one new inbox row; nothing else changes.</summary>
        NoHarm,
    }

    private sealed record Case(string Kind, byte[] Body, string? Signature, Expect Expect);

    [Fact]
    public async Task Webhook_ThousandsOfHostileSignedBodies_NeverA5xxAndNothingButTheInboxChanges()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price);
        var known = new List<(string Customer, string Subscription)>();
        for (var i = 0; i < 2; i++)
        {
            var orgId = Guid.NewGuid();
            await InstanceCalls.RegisterAsync(host.Client, orgId);
            (await InstanceCalls.LinkAsync(host.Admin, orgId)).EnsureSuccessStatusCode();
        }

        foreach (var sub in stripe.State.Subscriptions)
        {
            known.Add((sub.CustomerId, sub.Id));
        }

        var organizationsBefore = await OrganizationStatesAsync(host);
        await using var connection = new NpgsqlConnection(host.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand(await CountSqlAsync(host), connection);
        var random = new Random(Seed);
        var generator = new Generator(random, stripe, known);
        var stopwatch = Stopwatch.StartNew();
        var failures = new List<string>();
        var byKind = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var before = await CountAsync(count);

        for (var i = 0; i < Cases && failures.Count < 10; i++)
        {
            var test = generator.Next(i);
            byKind[test.Kind] = byKind.GetValueOrDefault(test.Kind) + 1;
            using var response = await WebhookCalls.PostRawAsync(host, test.Body, test.Signature);
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            var after = await CountAsync(count);
            var problem = Check(test, status, response, body, before, after);
            if (problem is not null)
            {
                failures.Add($"#{i} {test.Kind}: {problem}; answered {status} {Truncate(body)}; body {Truncate(Encoding.UTF8.GetString(test.Body))}");
            }

            before = after;
        }

        stopwatch.Stop();
        output.WriteLine($"{Cases} cases (seed {Seed}) in {stopwatch.Elapsed.TotalSeconds:0.0} s: " + string.Join(", ", byKind.Select(p => $"{p.Key} {p.Value}")));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(organizationsBefore, await OrganizationStatesAsync(host));
        Assert.True(byKind.Count >= 20, "fewer kinds than expected: " + string.Join(", ", byKind.Keys));
    }

    private static string? Check(Case test, int status, HttpResponseMessage response, string body, IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> after)
    {
        if (status >= 500)
        {
            return "a 5xx";
        }

        if (status >= 400)
        {
            if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                return "a 4xx that is not problem details";
            }

            using var json = JsonDocument.Parse(body);
            if (!json.RootElement.TryGetProperty("code", out var code) || string.IsNullOrEmpty(code.GetString()))
            {
                return "a problem without a code";
            }
        }

        var changed = after.Where(p => before[p.Key] != p.Value).Select(p => $"{p.Key} {before[p.Key]}->{p.Value}").ToList();
        var inbox = after["webhook_events"] - before["webhook_events"];
        var parked = after["webhook_events:parked"] - before["webhook_events:parked"];
        var others = changed.Where(c => !c.StartsWith("webhook_events", StringComparison.Ordinal)).ToList();
        if (others.Count > 0)
        {
            return "tables changed: " + string.Join(", ", others);
        }

        return test.Expect switch
        {
            Expect.Rejected when status is < 400 or >= 500 => "expected a 4xx",
            Expect.Rejected when changed.Count > 0 => "a rejected request changed " + string.Join(", ", changed),
            Expect.Parked when status is < 200 or >= 300 => "expected a 2xx",
            Expect.Parked when inbox != 1 || parked != 1 => $"expected one parked inbox row, got {inbox} new rows, {parked} parked",
            Expect.Stored when status is < 200 or >= 300 => "expected a 2xx",
            Expect.Stored when inbox != 1 || parked != 0 => $"expected one inbox row, not parked; got {inbox} new rows, {parked} parked",
            Expect.Redelivered when status is < 200 or >= 300 => "expected a 2xx",
            Expect.Redelivered when changed.Count > 0 => "a redelivery changed " + string.Join(", ", changed),
            Expect.NoHarm when inbox > 1 || inbox < 0 => $"{inbox} new inbox rows",
            Expect.NoHarm when status is >= 200 and < 300 && inbox == 0 && body.Contains("\"outcome\":\"duplicate\"", StringComparison.Ordinal) is false && body.Contains("parked", StringComparison.Ordinal) is false => "a 2xx that stored nothing",
            _ => null,
        };
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "...";

    private static async Task<string> CountSqlAsync(BillingTestHost host)
    {
        await using var db = host.CreateDbContext();
        var tables = db.Model.GetEntityTypes()
            .Select(e => (Schema: e.GetSchema() ?? "public", Table: e.GetTableName()))
            .Where(t => t.Table is not null)
            .Distinct()
            .Select(t => $"SELECT '{t.Table}', count(*) FROM \"{t.Schema}\".\"{t.Table}\"")
            .ToList();
        Assert.Contains(tables, t => t.Contains("webhook_events", StringComparison.Ordinal));
        tables.Add($"SELECT 'webhook_events:parked', count(*) FROM \"billing\".\"webhook_events\" WHERE status = '{WebhookEventStatus.Parked}'");
        return string.Join(" UNION ALL ", tables);
    }

    private static async Task<IReadOnlyDictionary<string, long>> CountAsync(NpgsqlCommand command)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    private static async Task<string> OrganizationStatesAsync(BillingTestHost host)
    {
        await using var db = host.CreateDbContext();
        var rows = await db.Organizations.AsNoTracking().OrderBy(o => o.Id).ToListAsync();
        Assert.NotEmpty(rows);
        return string.Join("\n", rows.Select(o => string.Join('|', o.Id, o.Status, o.StripeSubscriptionStatus, o.StripeCustomerId, o.StripeSubscriptionId, o.PlanKey,
            o.TrialEnd?.ToUnixTimeSeconds(), o.CurrentPeriodStart?.ToUnixTimeSeconds(), o.CurrentPeriodEnd?.ToUnixTimeSeconds(), o.CancelAtPeriodEnd,
            o.LastSubscriptionEventAt?.ToUnixTimeSeconds(), o.LastSubscriptionEventId, o.PastDueSince?.ToUnixTimeSeconds(), o.TrialWillEndNotifiedAt?.ToUnixTimeSeconds(), o.UpdatedAt.ToUnixTimeMilliseconds())));
    }

    /// <summary>Builds the cases: one deterministic stream from the seed.</summary>
    private sealed class Generator(Random random, StripeEmulator stripe, List<(string Customer, string Subscription)> known)
    {
        private static readonly string[] HandledTypes =
        [
            "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
            "customer.subscription.trial_will_end", "invoice.paid", "invoice.payment_failed", "invoice.finalized", "checkout.session.completed",
        ];

        private static readonly string[] HostileStrings =
        [
            "\u0000", "a\u0000b", "\r\n[Critical] forged", "\u001b[31m", "\u0007", "\ud800", "x\udfffy", "\u202e", "\u2028",
            "\"quoted\"", "\\", "%00", "sub_ok\t", " ", "",
        ];

        private readonly List<(byte[] Body, string Id)> _parked = [];

        private long Now => stripe.Clock.GetUtcNow().ToUnixTimeSeconds();

        public Case Next(int index)
        {
            var roll = random.Next(100);
            return roll switch
            {
                < 8 => BadSignature(index),
                < 18 => NotAnEvent(index),
                < 50 => MalformedForKnownOrganization(index),
                < 65 => Harmless(index),
                < 70 when _parked.Count > 0 => Redelivery(),
                _ => Chaos(index),
            };
        }

        private Case BadSignature(int index)
        {
            var body = Encoding.UTF8.GetBytes(Event($"evt_fz_{index}", "customer.subscription.updated", Subscription(known[0].Subscription, known[0].Customer)).ToJsonString());
            var t = Now;
            var secret = stripe.WebhookSecret;
            var (kind, header) = random.Next(9) switch
            {
                0 => ("sig:none", (string?)null),
                1 => ("sig:wrong-secret", Signer.CreateHeader("whsec_wrong", t, body)),
                2 => ("sig:stale", Signer.CreateHeader(secret, t - 301 - random.Next(100000), body)),
                3 => ("sig:future", Signer.CreateHeader(secret, t + 301 + random.Next(100000), body)),
                // Printable only: a control character in a header is refused by Kestrel before any endpoint runs.
                4 => ("sig:garbage", RandomText(random.Next(1, 200), ' ')),
                5 => ("sig:overflow-t", $"t=99999999999999999999999,v1={Signer.ComputeSignature(secret, t, body)}"),
                6 => ("sig:empty-parts", random.Next(3) switch { 0 => "t=,v1=", 1 => ",,,", _ => "t=1" }),
                7 => ("sig:v0-only", $"t={t},v0={Signer.ComputeSignature(secret, t, body)}"),
                _ => ("sig:tampered", Signer.CreateHeader(secret, t, body)),
            };
            if (kind == "sig:tampered")
            {
                body[random.Next(body.Length)] ^= 0x20;
            }

            return new Case(kind, body, header, Expect.Rejected);
        }

        private Case NotAnEvent(int index)
        {
            var good = Event($"evt_fz_{index}", "customer.subscription.updated", Subscription(known[0].Subscription, known[0].Customer)).ToJsonString();
            var (kind, text) = random.Next(15) switch
            {
                14 => ("json:oversized", good.Insert(1, "\"pad\":\"" + new string('p', 1024 * 1024) + "\",")),
                0 => ("json:truncated", good[..random.Next(1, good.Length - 1)]),
                1 => ("json:garbage", RandomText(random.Next(1, 300))),
                2 => ("json:array", "[" + good + "]"),
                3 => ("json:scalar", random.Next(4) switch { 0 => "123", 1 => "\"evt_1\"", 2 => "null", _ => "true" }),
                4 => ("json:empty-object", "{}"),
                5 => ("json:id-wrong-type", good.Replace($"\"id\":\"evt_fz_{index}\"", random.Next(3) switch { 0 => "\"id\":5", 1 => "\"id\":null", _ => "\"id\":{\"a\":1}" }, StringComparison.Ordinal)),
                6 => ("json:id-hostile", good.Replace($"\"evt_fz_{index}\"", JsonSerializer.Serialize("evt_" + HostileStrings[random.Next(9)] + index), StringComparison.Ordinal)),
                7 => ("json:id-huge", good.Replace($"\"evt_fz_{index}\"", "\"evt_" + new string('a', 256 + random.Next(100000)) + "\"", StringComparison.Ordinal)),
                8 => ("json:empty-body", ""),
                9 => ("json:whitespace", "  \n\t "),
                10 => ("json:deep", new string('[', 5000) + new string(']', 5000)),
                11 => ("json:trailing", good + "}"),
                12 => ("json:bom", "\uFEFF" + good),
                _ => ("json:comment", "/* hi */" + good),
            };
            var body = Encoding.UTF8.GetBytes(text);
            return new Case(kind, body, Signer.CreateHeader(stripe.WebhookSecret, Now, body), Expect.Rejected);
        }

        private Case MalformedForKnownOrganization(int index)
        {
            var (customer, subscription) = known[random.Next(known.Count)];
            var id = $"evt_fz_{index}";
            var type = HandledTypes[random.Next(HandledTypes.Length)];
            var obj = type.StartsWith("invoice.", StringComparison.Ordinal) ? Invoice(customer, subscription)
                : type.StartsWith("checkout.", StringComparison.Ordinal) ? Checkout(customer, subscription)
                : Subscription(subscription, customer);
            var root = Event(id, type, obj);
            string kind;
            string? raw = null;
            switch (random.Next(12))
            {
                case 10:
                    // A lone surrogate escape, written raw (a serializer would not produce one).
                    kind = "surrogate-id";
                    obj[type.StartsWith("checkout.", StringComparison.Ordinal) ? "subscription" : "customer"] = "cus_LONE_SURROGATE";
                    raw = root.ToJsonString().Replace("cus_LONE_SURROGATE", random.Next(2) == 0 ? "cus_\\ud800" : "\\udfff\\u0000", StringComparison.Ordinal);
                    break;
                case 0:
                    kind = "bad-time:created";
                    root["created"] = BadTime();
                    break;
                case 1:
                    kind = "bad-time:object";
                    var field = type.StartsWith("invoice.", StringComparison.Ordinal) ? "period_end" : type.StartsWith("checkout.", StringComparison.Ordinal) ? "expires_at" : (random.Next(2) == 0 ? "trial_end" : "canceled_at");
                    obj[field] = BadTime();
                    break;
                case 2 when !type.StartsWith("invoice.", StringComparison.Ordinal) && !type.StartsWith("checkout.", StringComparison.Ordinal):
                    kind = "bad-time:item-period";
                    ((JsonObject)obj["items"]!["data"]![0]!)["current_period_end"] = BadTime();
                    break;
                case 3:
                    kind = "wrong-object";
                    obj["object"] = type.StartsWith("invoice.", StringComparison.Ordinal) ? "subscription" : "invoice";
                    break;
                case 4:
                    kind = "hostile-id";
                    var hostile = random.Next(3) == 0 ? "cus_" + new string('x', 256 + random.Next(5000)) : "cus_" + HostileStrings[random.Next(11)] + "x";
                    obj[type.StartsWith("checkout.", StringComparison.Ordinal) ? "subscription" : random.Next(2) == 0 ? "customer" : "id"] = hostile;
                    break;
                case 5:
                    kind = "wrong-type-field";
                    obj[type.StartsWith("invoice.", StringComparison.Ordinal) ? "amount_due" : type.StartsWith("checkout.", StringComparison.Ordinal) ? "amount_total" : "cancel_at_period_end"] =
                        random.Next(3) switch { 0 => JsonValue.Create("NaN"), 1 => JsonValue.Create(1.5), _ => new JsonArray(1, 2) };
                    break;
                case 6:
                    kind = "duplicate-keys";
                    raw = root.ToJsonString().Insert(1, $"\"id\":\"evt_fz_{index}_dup\",");
                    break;
                case 7:
                    kind = "hostile-type";
                    // Repeated, so that escaping makes it longer than the column.
                    root["type"] = type + string.Concat(Enumerable.Repeat(HostileStrings[random.Next(9)], random.Next(1, 60)));
                    break;
                case 8:
                    kind = "missing-data";
                    if (random.Next(2) == 0)
                    {
                        root.Remove("data");
                    }
                    else
                    {
                        ((JsonObject)root["data"]!).Remove("object");
                    }

                    break;
                case 9 when type.StartsWith("customer.", StringComparison.Ordinal):
                    kind = "unknown-status";
                    obj["status"] = random.Next(2) == 0 ? "ACTIVE" : "active" + HostileStrings[random.Next(HostileStrings.Length - 2)] + new string('x', random.Next(40));
                    break;
                default:
                    kind = "huge-number";
                    raw = root.ToJsonString().Replace("\"created\":", "\"created\":1" + new string('0', 20 + random.Next(400)) + ",\"was_created\":", StringComparison.Ordinal);
                    break;
            }

            var body = Encoding.UTF8.GetBytes(raw ?? root.ToJsonString());
            var test = new Case("parked:" + kind, body, Signer.CreateHeader(stripe.WebhookSecret, Now, body), Expect.Parked);
            _parked.Add((body, id));
            return test;
        }

        private Case Harmless(int index)
        {
            var id = $"evt_fz_{index}";
            var customer = "cus_unknown_" + index;
            var subscription = "sub_unknown_" + index;
            JsonObject root;
            string kind;
            switch (random.Next(5))
            {
                case 0:
                    kind = "stored:unknown-type";
                    root = Event(id, "fuzz.unknown_" + random.Next(1000) + ".created", new JsonObject { ["id"] = "obj_" + index, ["object"] = "fuzz" });
                    break;
                case 1:
                    kind = "stored:unknown-subscription";
                    root = Event(id, HandledTypes[random.Next(3)], Subscription(subscription, customer));
                    break;
                case 2:
                    kind = "stored:unknown-customer-invoice";
                    root = Event(id, "invoice.paid", Invoice(customer, subscription));
                    break;
                case 3:
                    kind = "stored:far-dates";
                    root = Event(id, "customer.subscription.updated", Subscription(subscription, customer));
                    root["created"] = random.Next(2) == 0 ? random.NextInt64(0, 100_000_000) : random.NextInt64(5_000_000_000, 9_999_999_999);
                    ((JsonObject)root["data"]!["object"]!)["trial_end"] = random.NextInt64(0, 9_999_999_999);
                    break;
                default:
                    kind = "stored:extra-fields";
                    root = Event(id, "customer.subscription.updated", Subscription(subscription, customer));
                    var metadata = (JsonObject)root["data"]!["object"]!["metadata"]!;
                    metadata["note"] = HostileStrings[random.Next(HostileStrings.Length)] + new string('z', random.Next(20000));
                    metadata["organization_id"] = HostileStrings[random.Next(HostileStrings.Length)];
                    root["x_extra_" + random.Next(100)] = random.Next(3) switch { 0 => JsonValue.Create(long.MaxValue), 1 => new JsonObject { ["deep"] = new JsonArray("\ud800", -1) }, _ => JsonValue.Create("\u0000") };
                    break;
            }

            var body = Encoding.UTF8.GetBytes(root.ToJsonString());
            return new Case(kind, body, Signer.CreateHeader(stripe.WebhookSecret, Now, body), Expect.Stored);
        }

        private Case Redelivery()
        {
            var (body, _) = _parked[random.Next(_parked.Count)];
            return new Case("redelivery", body, Signer.CreateHeader(stripe.WebhookSecret, Now, body), Expect.Redelivered);
        }

        private Case Chaos(int index)
        {
            // Any field of any template set to any value, aimed at nobody we know: only "no harm" is promised.
            var customer = "cus_chaos_" + index;
            var subscription = "sub_chaos_" + index;
            var type = HandledTypes[random.Next(HandledTypes.Length)];
            var obj = type.StartsWith("invoice.", StringComparison.Ordinal) ? Invoice(customer, subscription)
                : type.StartsWith("checkout.", StringComparison.Ordinal) ? Checkout(customer, subscription)
                : Subscription(subscription, customer);
            var root = Event($"evt_fz_{index}", type, obj);
            var target = random.Next(3) == 0 ? root : obj;
            var keys = target.Select(p => p.Key).Where(k => !(target == root && k == "id")).ToList();
            var key = random.Next(5) == 0 ? "extra_" + random.Next(10) : keys[random.Next(keys.Count)];
            target[key] = RandomValue(0);
            var text = root.ToJsonString();
            if (random.Next(10) == 0)
            {
                // A second id under a key that differs only in case: readers may disagree on which is the id.
                text = text.Insert(1, $"\"ID\":\"evt_fz_{index}_upper\",");
                key += "+ID";
            }

            var body = Encoding.UTF8.GetBytes(text);
            return new Case("chaos:" + (target == root ? "event." : "object.") + key, body, Signer.CreateHeader(stripe.WebhookSecret, Now, body), Expect.NoHarm);
        }

        private JsonNode? RandomValue(int depth) => random.Next(depth > 2 ? 9 : 11) switch
        {
            0 => JsonValue.Create(random.NextInt64(long.MinValue, long.MaxValue)),
            1 => JsonValue.Create(-random.Next()),
            2 => JsonValue.Create(random.NextDouble() * Math.Pow(10, random.Next(-300, 300))),
            3 => JsonValue.Create(HostileStrings[random.Next(HostileStrings.Length)]),
            4 => JsonValue.Create(new string('s', random.Next(100_000))),
            5 => JsonValue.Create(random.Next(2) == 0),
            6 => null,
            7 => JsonValue.Create("NaN"),
            8 => JsonValue.Create(RandomText(random.Next(50))),
            9 => new JsonArray(RandomValue(depth + 1), RandomValue(depth + 1)),
            _ => new JsonObject { ["id"] = RandomValue(depth + 1), ["object"] = RandomValue(depth + 1) },
        };

        private JsonNode BadTime() => random.Next(10) switch
        {
            0 => JsonValue.Create(long.MaxValue),
            1 => JsonValue.Create(long.MinValue),
            2 => JsonValue.Create(-1),
            3 => JsonValue.Create(-random.NextInt64(1, long.MaxValue)),
            4 => JsonValue.Create(10_000_000_000),
            5 => JsonValue.Create(253_402_300_800),
            6 => JsonValue.Create(random.NextInt64(10_000_000_000, long.MaxValue)),
            7 => JsonValue.Create("NaN"),
            8 => JsonValue.Create(1.5),
            _ => JsonValue.Create("2026-01-01T00:00:00Z"),
        };

        private string RandomText(int length, char lowest = '\u0001')
        {
            var chars = new char[length];
            for (var i = 0; i < length; i++)
            {
                chars[i] = (char)random.Next(lowest, 0x7f);
            }

            return new string(chars);
        }

        private JsonObject Event(string id, string type, JsonObject obj) => new()
        {
            ["id"] = id,
            ["object"] = "event",
            ["api_version"] = "2026-10-28.endive",
            ["type"] = type,
            ["created"] = Now,
            ["livemode"] = false,
            ["data"] = new JsonObject { ["object"] = obj },
        };

        private JsonObject Subscription(string id, string customer) => new()
        {
            ["id"] = id,
            ["object"] = "subscription",
            ["customer"] = customer,
            ["status"] = "past_due",
            ["cancel_at_period_end"] = false,
            ["created"] = Now,
            ["metadata"] = new JsonObject(),
            ["items"] = new JsonObject
            {
                ["object"] = "list",
                ["data"] = new JsonArray(new JsonObject
                {
                    ["id"] = "si_" + id,
                    ["object"] = "subscription_item",
                    ["current_period_start"] = Now,
                    ["current_period_end"] = Now + 86400 * 30,
                    ["price"] = new JsonObject { ["id"] = "price_fuzz", ["object"] = "price" },
                }),
                ["has_more"] = false,
            },
        };

        private JsonObject Invoice(string customer, string subscription) => new()
        {
            ["id"] = "in_" + random.Next(),
            ["object"] = "invoice",
            ["customer"] = customer,
            ["status"] = "open",
            ["amount_due"] = 1000,
            ["amount_paid"] = 0,
            ["currency"] = "eur",
            ["period_start"] = Now - 86400,
            ["period_end"] = Now,
            ["parent"] = new JsonObject { ["type"] = "subscription_details", ["subscription_details"] = new JsonObject { ["subscription"] = subscription } },
        };

        private JsonObject Checkout(string customer, string subscription) => new()
        {
            ["id"] = "cs_" + random.Next(),
            ["object"] = "checkout.session",
            ["customer"] = customer,
            ["subscription"] = subscription,
            ["mode"] = "subscription",
            ["client_reference_id"] = Guid.NewGuid().ToString(),
            ["amount_total"] = 0,
            ["expires_at"] = Now + 3600,
        };
    }
}
