using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using VaultAI.Billing;
using VaultAI.Billing.Credentials;
using VaultAI.Billing.EntityFramework;
using VaultAI.Billing.Entitlements;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Storage;
using VaultAI.Billing.Testing;

// The added latency of .RequireEntitlement (see bench/README.md). One host on 127.0.0.1 with two endpoints that do the
// same nothing: /plain without the filter, /guarded with .RequireEntitlement("ai_tokens"), whose check reads the
// organization and the period total (one query) on PostgreSQL (VAULTAI_BILLING_TEST_POSTGRES). Both are loaded at the same concurrency
// in alternating rounds of one run, so both see the same machine; the medians, p99s and their differences are printed.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var options = Options(args);
long exceptions = 0;
AppDomain.CurrentDomain.FirstChanceException += (_, _) => Interlocked.Increment(ref exceptions);
try
{
    return await RunAsync();
}
catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or HttpRequestException or FormatException)
{
    Console.Error.WriteLine($"entitlement-filter: {exception.Message}");
    return 2;
}

async Task<int> RunAsync()
{
    var seconds = Int("seconds", 20);
    var warmup = Int("warmup", 5);
    var rounds = Int("rounds", 4);
    var concurrency = Int("concurrency", 16);
    var port = Int("port", 5091);
    var organizationCount = Int("organizations", 1000);
    if (organizationCount < 1)
    {
        throw new ArgumentException("--organizations (ENTITLEMENT_ORGS) must be at least 1.");
    }

    await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { DeliverWebhooksAutomatically = false });
    var price = await CreateLicensedPriceAsync(stripe);
    var database = await CreateDatabaseAsync(Server());
    var builder = WebApplication.CreateSlimBuilder();
    builder.WebHost.UseKestrel().UseUrls($"http://127.0.0.1:{port}");
    builder.Logging.ClearProviders();
    builder.Logging.AddSimpleConsole();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    // The first migration queries a history table that does not exist yet; EF logs that as an error.
    builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Critical);
    builder.Services.AddVaultAIBilling(o =>
        {
            o.Metrics["ai_tokens"] = new MetricDefinition { DisplayName = "AI tokens", Unit = "tokens", Aggregation = MetricAggregation.Sum };
            o.Plans["bench"] = new BillingPlan { DisplayName = "Bench", MonthlyPriceId = price, Limits = { ["ai_tokens"] = long.MaxValue / 2 } };
            o.Stripe.ApiKey = stripe.ApiKey;
            o.Stripe.ApiBase = stripe.BaseAddress;
            o.Stripe.MeterEventsBase = stripe.BaseAddress;
            o.Dispatcher.Enabled = false;
            o.Webhooks.Secrets = [stripe.WebhookSecret];
            o.Webhooks.RetryInBackground = false;
            o.Entitlements.OrganizationResolver = EntitlementOrganization.FromHeader("X-Organization-Id");
        })
        .AddEntityFrameworkStore(o => o.UseNpgsql(database));
    var app = builder.Build();
    await BillingDatabase.MigrateAsync(app.Services);
    app.MapGet("/plain", () => TypedResults.Ok());
    app.MapGet("/guarded", () => TypedResults.Ok()).RequireEntitlement("ai_tokens");
    app.MapGet("/probe/check", async (HttpContext http, IEntitlementService service) =>
    {
        await service.CheckAsync(Guid.Parse(http.Request.Headers["X-Organization-Id"]!), "ai_tokens", 1m, http.RequestAborted);
        return TypedResults.Ok();
    });
    app.MapGet("/probe/context", async (HttpContext http, IDbContextFactory<BillingDbContext> factory) =>
    {
        await using var db = await factory.CreateDbContextAsync(http.RequestAborted);
        await db.Database.OpenConnectionAsync(http.RequestAborted);
        await using var command = new NpgsqlCommand("SELECT 1", (NpgsqlConnection)db.Database.GetDbConnection());
        await command.ExecuteScalarAsync(http.RequestAborted);
        return TypedResults.Ok();
    });
    var raw = NpgsqlDataSource.Create(database);
    app.MapGet("/probe/raw", async (HttpContext http) =>
    {
        await using var command = raw.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync(http.RequestAborted);
        return TypedResults.Ok();
    });

    // Organizations on the plan with a limit no run reaches, each with a period total row for the filter to read. The
    // requests go to them in turn: with one organization, every concurrent check reads the same row, which flatters the
    // coalescing of concurrent reads (identical keys share one row of a batch); many organizations are the honest case.
    Console.Error.WriteLine($"organizations: {organizationCount} (ENTITLEMENT_ORGS; requests go to them in turn)");
    var organizations = await RegisterAsync(app.Services, organizationCount);

    await app.StartAsync();
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    var target = new Target(http, organizations);

    Console.Error.WriteLine($"warm-up {warmup} s per endpoint");
    await LoadAsync(target, "/plain", concurrency, warmup, null);
    await LoadAsync(target, "/guarded", concurrency, warmup, null);

    foreach (var probe in (Environment.GetEnvironmentVariable("ENTITLEMENT_PROBES") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
    {
        var probeSamples = new List<double>();
        var before = await DiagnosticsAsync(database);
        await LoadAsync(target, probe, concurrency, seconds, probeSamples);
        var after = await DiagnosticsAsync(database);
        var summary = Summary(probeSamples);
        Console.Error.WriteLine($"  {probe}: {probeSamples.Count / (double)seconds:F0} req/s, median {summary.Median:F3} ms, {after - before}, cpu/request {(after.Cpu - before.Cpu).TotalMilliseconds / probeSamples.Count:F3} ms");
    }

    var plain = new List<double>();
    var guarded = new List<double>();
    // This process's CPU time (host, filter and load generator alike) spent in each endpoint's rounds.
    var cpu = new Dictionary<string, TimeSpan>(StringComparer.Ordinal) { ["/plain"] = TimeSpan.Zero, ["/guarded"] = TimeSpan.Zero };
    for (var round = 1; round <= rounds; round++)
    {
        // Alternate which goes first, so a drift of the machine does not favour one side.
        var order = round % 2 == 1 ? new[] { ("/plain", plain), ("/guarded", guarded) } : new[] { ("/guarded", guarded), ("/plain", plain) };
        foreach (var (path, samples) in order)
        {
            Console.Error.WriteLine($"round {round}/{rounds}: {path} for {seconds} s at {concurrency} concurrent requests");
            var before = await DiagnosticsAsync(database);
            var count = samples.Count;
            await LoadAsync(target, path, concurrency, seconds, samples);
            var after = await DiagnosticsAsync(database);
            cpu[path] += after.Cpu - before.Cpu;
            Console.Error.WriteLine($"  {path}: {(samples.Count - count) / (double)seconds:F0} req/s, {after - before}, cpu/request {(after.Cpu - before.Cpu).TotalMilliseconds / (samples.Count - count):F3} ms, bytes/request {(after.Allocated - before.Allocated) / (samples.Count - count)}, database transactions/request {(after.Transactions - before.Transactions) / (double)(samples.Count - count):F2}, threads {ThreadPool.ThreadCount}, pending {ThreadPool.PendingWorkItemCount}");
        }
    }

    await app.StopAsync();
    var p = Summary(plain);
    var g = Summary(guarded);
    var plainCpu = CpuPerRequest(cpu["/plain"], p.Count);
    var guardedCpu = CpuPerRequest(cpu["/guarded"], g.Count);
    Console.WriteLine("endpoint,requests,median_ms,p99_ms,cpu_ms_per_request");
    Console.WriteLine($"plain,{p.Count},{p.Median:F3},{p.P99:F3},{plainCpu:F4}");
    Console.WriteLine($"guarded,{g.Count},{g.Median:F3},{g.P99:F3},{guardedCpu:F4}");
    Console.WriteLine($"added,,{g.Median - p.Median:F3},{g.P99 - p.P99:F3},{guardedCpu - plainCpu:F4}");
    return 0;
}

static double CpuPerRequest(TimeSpan cpu, int requests) => requests == 0 ? 0 : cpu.TotalMilliseconds / requests;

async Task<Counters> DiagnosticsAsync(string database)
{
    await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database) { Pooling = false }.ConnectionString);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand("SELECT sessions, xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()", connection);
    await using var reader = await command.ExecuteReaderAsync();
    await reader.ReadAsync();
    var sessions = reader.GetInt64(0);
    var transactions = reader.GetInt64(1);
    return new Counters(sessions, transactions, Monitor.LockContentionCount, Interlocked.Read(ref exceptions), GC.GetTotalAllocatedBytes(), Process.GetCurrentProcess().TotalProcessorTime);
}

static async Task LoadAsync(Target target, string path, int concurrency, int seconds, List<double>? samples)
{
    var until = Stopwatch.GetTimestamp() + (long)(seconds * (double)Stopwatch.Frequency);
    var perWorker = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        var latencies = new List<double>();
        while (Stopwatch.GetTimestamp() < until)
        {
            // Every endpoint gets the header (the plain one ignores it), so both sides pay for building the request alike.
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("X-Organization-Id", target.NextOrganization());
            var start = Stopwatch.GetTimestamp();
            using var response = await target.Http.SendAsync(request);
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            latencies.Add(elapsed);
        }

        return latencies;
    }));
    samples?.AddRange(perWorker.SelectMany(l => l));
}

static (int Count, double Median, double P99) Summary(List<double> samples)
{
    var sorted = samples.Order().ToArray();
    return (sorted.Length, Percentile(sorted, 50), Percentile(sorted, 99));
}

static double Percentile(double[] sorted, int p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1)];

/// <summary>Registers <paramref name="count"/> organizations (four at a time), each with one recorded event; returns their ids as header values.</summary>
static async Task<string[]> RegisterAsync(IServiceProvider services, int count)
{
    var store = services.GetRequiredService<IBillingStore>();
    var ids = new string[count];
    await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, cancellationToken) =>
    {
        var now = DateTimeOffset.UtcNow;
        var organization = new Organization { Id = Guid.NewGuid(), Name = $"Bench {i}", Status = OrganizationStatus.Pending, PlanKey = "bench", CreatedAt = now, UpdatedAt = now };
        // A distinct hash per organization: credentials' hashes are unique.
        var credential = new InstanceCredential { Id = Guid.NewGuid(), OrganizationId = organization.Id, TokenHash = Convert.ToHexStringLower(organization.Id.ToByteArray()).PadLeft(64, '0'), TokenPrefix = "vaultai_benc", CreatedAt = now };
        if (!await store.TryCreateOrganizationAsync(organization, credential, cancellationToken))
        {
            throw new InvalidOperationException("registering an organization failed");
        }

        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IUsageRecorder>()
            .RecordAsync(organization.Id, new UsageEvent("bench-seed", "ai_tokens", 1m + i, DateTimeOffset.UtcNow), cancellationToken);
        ids[i] = organization.Id.ToString();
    });
    return ids;
}

static async Task<string> CreateLicensedPriceAsync(StripeEmulator stripe)
{
    using var http = new HttpClient { BaseAddress = stripe.BaseAddress };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", stripe.ApiKey);
    var product = await PostFormAsync(http, "/v1/products", "name=Bench");
    return await PostFormAsync(http, "/v1/prices", $"currency=eur&unit_amount=1000&product={product}&recurring[interval]=month");
}

static async Task<string> PostFormAsync(HttpClient http, string path, string form)
{
    using var content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded");
    using var response = await http.PostAsync(path, content);
    var body = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {body}");
    }

    using var json = JsonDocument.Parse(body);
    return json.RootElement.GetProperty("id").GetString()!;
}

static async Task<string> CreateDatabaseAsync(string server)
{
    var name = $"entitlement_{Guid.NewGuid():N}";
    await using (var connection = new NpgsqlConnection(server))
    {
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await create.ExecuteNonQueryAsync();
    }

    return new NpgsqlConnectionStringBuilder(server) { Database = name, MaxPoolSize = 64 }.ConnectionString;
}

static Dictionary<string, string> Options(string[] args)
{
    var parsed = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        parsed[args[i].TrimStart('-')] = args[i + 1];
    }

    return parsed;
}

int Int(string name, int fallback) => options.TryGetValue(name, out var value)
    ? int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture)
    : fallback;

static string Server() => Environment.GetEnvironmentVariable("VAULTAI_BILLING_TEST_POSTGRES") is { Length: > 0 } server
    ? server
    : throw new InvalidOperationException("VAULTAI_BILLING_TEST_POSTGRES is not set: run bench/entitlement-filter.sh, which starts a PostgreSQL cluster.");

/// <summary>The host's client and the organizations requests go to, in turn.</summary>
internal sealed class Target(HttpClient http, string[] organizations)
{
    private long _next = -1;

    public HttpClient Http { get; } = http;

    public string NextOrganization() => organizations[(int)((ulong)Interlocked.Increment(ref _next) % (ulong)organizations.Length)];
}

/// <summary>
/// Counters over a run. <see cref="Transactions"/> is PostgreSQL's count of transactions in the database (each read is one):
/// backends report it at most once a second, so over a short run it lags by up to a second's worth.
/// </summary>
internal readonly record struct Counters(long Sessions, long Transactions, long LockContentions, long Exceptions, long Allocated, TimeSpan Cpu)
{
    public static Counters operator -(Counters a, Counters b) =>
        new(a.Sessions - b.Sessions, a.Transactions - b.Transactions, a.LockContentions - b.LockContentions, a.Exceptions - b.Exceptions, a.Allocated - b.Allocated, a.Cpu - b.Cpu);
}
