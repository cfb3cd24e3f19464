using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using VaultAI.Billing.IngestLoad;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Testing;

// A bounded ingestion load against a real billing host (in-process Kestrel on 127.0.0.1) and a real PostgreSQL.
// Run through bench/run-ingest.sh, which starts a throwaway cluster and exports VAULTAI_BILLING_TEST_POSTGRES.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var settings = LoadSettings.Parse(args);
var server = Environment.GetEnvironmentVariable("VAULTAI_BILLING_TEST_POSTGRES") is { Length: > 0 } cs
    ? cs
    : throw new InvalidOperationException("VAULTAI_BILLING_TEST_POSTGRES is not set: run bench/run-ingest.sh (it starts a throwaway PostgreSQL).");

Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
Console.WriteLine($"postgres: {await LoadHost.ServerVersionAsync(server)}");
Console.WriteLine($"settings: {settings}");

await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { DeliverWebhooksAutomatically = false });
var price = await LoadHost.CreateMeteredPriceAsync(stripe);
var database = await LoadHost.CreateDatabaseAsync(server);
await using var host = await LoadHost.StartAsync(stripe, price, database, settings);
using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) }) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
var failures = new ConcurrentQueue<string>();

// ---- Registration ------------------------------------------------------------------------------------------
var orgs = new (Guid Id, string Token)[settings.Organizations];
var registration = Stopwatch.StartNew();
await Parallel.ForAsync(0, settings.Organizations, new ParallelOptions { MaxDegreeOfParallelism = settings.Concurrency }, async (i, ct) =>
{
    var id = Guid.NewGuid();
    using var content = new StringContent($$"""{"organization_id":"{{id}}","organization_name":"Load Org {{i}}","instance_url":"org{{i}}.example.com"}""", Encoding.UTF8, "application/json");
    using var response = await http.PostAsync("/api/organizations/register", content, ct);
    var body = await response.Content.ReadAsStringAsync(ct);
    if (response.StatusCode != HttpStatusCode.Created)
    {
        throw new InvalidOperationException($"register: {(int)response.StatusCode} {body}");
    }

    using var json = JsonDocument.Parse(body);
    orgs[i] = (id, json.RootElement.GetProperty("billing_token").GetString()!);
});
Console.WriteLine($"registered {orgs.Length} organizations in {registration.Elapsed.TotalSeconds:F2} s ({orgs.Length / registration.Elapsed.TotalSeconds:F0}/s)");

// ---- Phase 1: usage reports (organizations not linked: stored, not billable) -----------------------------------
var epoch = stripe.Clock.GetUtcNow();
var phase1 = await RunReportsAsync("phase 1 (unlinked)", "p1", settings.Reports, settings.RetryPercent);
await VerifyLedgerAsync(phase1, billablePrefix: null, billable: 0);

// ---- Phase 2: link every organization, report billable usage, drain the outbox to the emulator ----------------
var linking = Stopwatch.StartNew();
using (var admin = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) })
{
    admin.DefaultRequestHeaders.Add(LoadHost.AdminHeader, "yes");
    await Parallel.ForAsync(0, orgs.Length, new ParallelOptions { MaxDegreeOfParallelism = settings.LinkConcurrency }, async (i, ct) =>
    {
        using var content = new StringContent($$"""{"admin_email":"billing{{i}}@example.com","deployment_type":"on-premise","plan_type":"{{LoadHost.PlanKey}}","trial_days":4}""", Encoding.UTF8, "application/json");
        using var response = await admin.PostAsync($"/api/admin/organizations/{orgs[i].Id}/link", content, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"link: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
    });
}

Console.WriteLine($"linked {orgs.Length} organizations (customer search + create + subscription on the emulator) in {linking.Elapsed.TotalSeconds:F2} s ({orgs.Length / linking.Elapsed.TotalSeconds:F1}/s, concurrency {settings.LinkConcurrency})");

var billable = settings.BillableReportsPerOrganization * orgs.Length;
var phase2 = await RunReportsAsync("phase 2 (linked, billable)", "p2", billable, settings.RetryPercent);
await VerifyLedgerAsync(phase1 + phase2, billablePrefix: "p2-", billable: phase2.Stored);

var dispatcher = host.Services.GetRequiredService<IMeterEventDispatcher>();
var drain = Stopwatch.StartNew();
var deadline = DateTime.UtcNow + settings.Cap;
var claimed = 0;
var passes = 0;
await Task.WhenAll(Enumerable.Range(0, settings.Dispatchers).Select(async _ =>
{
    while (DateTime.UtcNow < deadline)
    {
        var n = await dispatcher.DispatchOnceAsync();
        Interlocked.Increment(ref passes);
        if (n == 0)
        {
            break;
        }

        Interlocked.Add(ref claimed, n);
    }
}));
drain.Stop();

await using (var db = host.CreateDbContext())
{
    var byStatus = await db.MeterEventOutbox.GroupBy(m => m.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync();
    var identifiers = await db.MeterEventOutbox.Select(m => m.Identifier).ToListAsync();
    var sentToEmulator = SentIdentifiers(stripe.Requests);
    var twice = sentToEmulator.Where(kv => kv.Value > 1).ToList();
    var missing = identifiers.Where(id => !sentToEmulator.ContainsKey(id)).ToList();
    var unknown = sentToEmulator.Keys.Except(identifiers).ToList();
    var counted = stripe.State.MeterEvents.Count;
    Console.WriteLine($"dispatch ({settings.Transport}, {settings.Dispatchers} dispatcher(s), batch {settings.DispatchBatchSize}, concurrency {settings.DispatchConcurrency}): " +
        $"{claimed} rows in {drain.Elapsed.TotalSeconds:F2} s = {claimed / drain.Elapsed.TotalSeconds:F0} events/s over {passes} passes");
    Console.WriteLine($"  outbox by status: {string.Join(", ", byStatus.Select(s => $"{s.Key}={s.Count}"))}");
    Console.WriteLine($"  emulator: {sentToEmulator.Count} distinct identifiers received, {twice.Count} received more than once, {missing.Count} outbox rows never received, {unknown.Count} unknown; {counted} meter events counted");
    Check(byStatus.All(s => s.Key == OutboxStatus.Sent) && claimed == identifiers.Count, "every outbox row sent");
    Check(twice.Count == 0 && missing.Count == 0 && unknown.Count == 0 && sentToEmulator.Count == identifiers.Count, "the emulator received each identifier exactly once");
    Check(counted == identifiers.Count, "the emulator counted each meter event once");
}

Console.WriteLine(failures.IsEmpty ? "RESULT: all checks passed" : $"RESULT: {failures.Count} check(s) FAILED");
return failures.IsEmpty ? 0 : 1;

// ------------------------------------------------------------------------------------------------------------------

async Task<PhaseResult> RunReportsAsync(string label, string prefix, int count, int retryPercent)
{
    var next = -1;
    var stored = 0;
    var duplicatesOk = 0;
    var duplicatesSent = 0;
    var errors = 0;
    var latencies = new ConcurrentBag<double[]>();
    var stop = DateTime.UtcNow + settings.Cap;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, settings.Concurrency).Select(async _ =>
    {
        var mine = new List<double>(count / settings.Concurrency + 16);
        while (DateTime.UtcNow < stop)
        {
            var i = Interlocked.Increment(ref next);
            if (i >= count)
            {
                break;
            }

            var (orgId, token) = orgs[i % orgs.Length];
            var key = $"{prefix}-{i}";
            var at = epoch.AddSeconds(-(i % 86_400));
            var users = 1 + (i % 500);
            var retry = retryPercent > 0 && i % 100 < retryPercent;
            var race = retry && i % 100 == 0; // 1 in 10 of the retries races the original instead of following it
            try
            {
                if (race)
                {
                    var both = await Task.WhenAll(TimedReportAsync(orgId, token, users, at, key), TimedReportAsync(orgId, token, users, at, key));
                    mine.Add(both[0].Ms);
                    mine.Add(both[1].Ms);
                    Interlocked.Increment(ref duplicatesSent);
                    var fresh = both.Count(b => !b.Duplicate);
                    if (both.All(b => b.Ok) && fresh == 1 && both[0].ReportId == both[1].ReportId)
                    {
                        Interlocked.Increment(ref stored);
                        Interlocked.Increment(ref duplicatesOk);
                    }
                    else
                    {
                        Interlocked.Increment(ref errors);
                        failures.Enqueue($"{key}: racing pair answered {string.Join(" / ", both.Select(b => b.ToString()))}");
                    }

                    continue;
                }

                var first = await TimedReportAsync(orgId, token, users, at, key);
                mine.Add(first.Ms);
                if (!first.Ok || first.Duplicate)
                {
                    Interlocked.Increment(ref errors);
                    failures.Enqueue($"{key}: first send answered {first}");
                    continue;
                }

                Interlocked.Increment(ref stored);
                if (retry)
                {
                    var again = await TimedReportAsync(orgId, token, users, at, key);
                    mine.Add(again.Ms);
                    Interlocked.Increment(ref duplicatesSent);
                    if (again.Ok && again.Duplicate && again.ReportId == first.ReportId)
                    {
                        Interlocked.Increment(ref duplicatesOk);
                    }
                    else
                    {
                        Interlocked.Increment(ref errors);
                        failures.Enqueue($"{key}: retry answered {again}, first {first}");
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                Interlocked.Increment(ref errors);
                failures.Enqueue($"{key}: {ex.GetType().Name} {ex.Message}");
            }
        }

        latencies.Add([.. mine]);
    }));
    clock.Stop();

    var all = latencies.SelectMany(l => l).ToArray();
    Array.Sort(all);
    double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)Math.Ceiling(q * all.Length) - 1)];
    var attempted = Math.Min(count, next + 1);
    Console.WriteLine($"{label}: {all.Length} requests ({attempted} distinct keys attempted of {count}{(attempted < count ? ", STOPPED BY TIME CAP" : "")}) in {clock.Elapsed.TotalSeconds:F2} s, concurrency {settings.Concurrency}");
    Console.WriteLine($"  throughput: {all.Length / clock.Elapsed.TotalSeconds:F0} requests/s, {stored / clock.Elapsed.TotalSeconds:F0} new reports/s");
    Console.WriteLine($"  latency ms: p50 {P(0.50):F2}  p95 {P(0.95):F2}  p99 {P(0.99):F2}  max {(all.Length > 0 ? all[^1] : double.NaN):F2}");
    Console.WriteLine($"  duplicates: {duplicatesOk}/{duplicatesSent} answered duplicate=true with the original report_id; errors {errors}");
    Check(errors == 0, $"{label}: no errors");
    return new PhaseResult(stored);
}

async Task<ReportAnswer> TimedReportAsync(Guid orgId, string token, int users, DateTimeOffset at, string key)
{
    using var request = new HttpRequestMessage(HttpMethod.Post, "/api/usage-report");
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
    request.Headers.Add("Idempotency-Key", key);
    request.Content = new StringContent(
        $$"""{"organization_id":"{{orgId}}","organization_name":"Load Org","instance_url":"org.example.com","user_count":{{users}},"timestamp":"{{at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}}"}""",
        Encoding.UTF8,
        "application/json");
    var started = Stopwatch.GetTimestamp();
    using var response = await http.SendAsync(request);
    var body = await response.Content.ReadAsStringAsync();
    var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    if (response.StatusCode != HttpStatusCode.OK)
    {
        return new ReportAnswer(false, false, Guid.Empty, ms, $"{(int)response.StatusCode} {body}");
    }

    using var json = JsonDocument.Parse(body);
    return new ReportAnswer(true, json.RootElement.GetProperty("duplicate").GetBoolean(), Guid.Parse(json.RootElement.GetProperty("report_id").GetString()!), ms, null);
}

async Task VerifyLedgerAsync(PhaseResult expected, string? billablePrefix, int billable)
{
    await using var db = host.CreateDbContext();
    var rows = await db.UsageReports.CountAsync();
    var keys = await db.UsageReports.Select(r => new { r.OrganizationId, r.IdempotencyKey }).Distinct().CountAsync();
    var outbox = await db.MeterEventOutbox.CountAsync();
    var outboxReports = await db.MeterEventOutbox.Select(m => m.UsageReportId).Distinct().CountAsync();
    var orphans = await db.MeterEventOutbox.CountAsync(m => !db.UsageReports.Any(r => r.Id == m.UsageReportId));
    var forPhase = billablePrefix is null ? 0 : await db.MeterEventOutbox.CountAsync(m => db.UsageReports.Any(r => r.Id == m.UsageReportId && r.IdempotencyKey.StartsWith(billablePrefix)));
    Console.WriteLine($"  database: {rows} usage_reports rows, {keys} distinct (organization, key), expected {expected.Stored}; {outbox} outbox rows for {outboxReports} distinct reports " +
        $"({forPhase} for this phase's {billable} billable reports, {outbox - forPhase} enqueued by linking: the latest report of the current period)");
    Check(rows == expected.Stored && keys == rows, "usage_reports rows == distinct keys sent (nothing counted twice, nothing lost)");
    Check(outbox == outboxReports && orphans == 0, "at most one outbox row per stored report, none orphaned");
    Check(forPhase == billable, "every billable report of the phase has its outbox row");
    if (billablePrefix is null)
    {
        Check(outbox == 0, "no outbox row while no organization is linked");
    }
}

static Dictionary<string, int> SentIdentifiers(IReadOnlyList<RecordedRequest> requests)
{
    var counts = new Dictionary<string, int>(StringComparer.Ordinal);
    foreach (var request in requests.Where(r => r.StatusCode is >= 200 and < 300))
    {
        if (request.Path == "/v1/billing/meter_events" && request.Form.TryGetValue("identifier", out var identifier))
        {
            counts[identifier] = counts.GetValueOrDefault(identifier) + 1;
        }
        else if (request.Path == "/v2/billing/meter_event_stream")
        {
            using var json = JsonDocument.Parse(request.Body);
            foreach (var item in json.RootElement.GetProperty("events").EnumerateArray())
            {
                var id = item.GetProperty("identifier").GetString()!;
                counts[id] = counts.GetValueOrDefault(id) + 1;
            }
        }
    }

    return counts;
}

void Check(bool ok, string what)
{
    Console.WriteLine($"  [{(ok ? "ok" : "FAIL")}] {what}");
    if (!ok)
    {
        failures.Enqueue(what);
    }
}

internal sealed record ReportAnswer(bool Ok, bool Duplicate, Guid ReportId, double Ms, string? Error)
{
    public override string ToString() => Ok ? $"200 duplicate={Duplicate} report_id={ReportId}" : Error ?? "?";
}

internal sealed record PhaseResult(int Stored)
{
    public static PhaseResult operator +(PhaseResult a, PhaseResult b) => new(a.Stored + b.Stored);
}
