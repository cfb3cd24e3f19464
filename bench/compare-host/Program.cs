using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using VaultAI.Billing;
using VaultAI.Billing.Credentials;
using VaultAI.Billing.EntityFramework;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Storage;
using VaultAI.Billing.Testing;

// The processes of bench/compare.sh (see bench/README.md), one command each, all on 127.0.0.1:
//   serve    the billing host on a fresh database of the cluster in VAULTAI_BILLING_TEST_POSTGRES, organizations registered
//            beforehand and written to files ("<organization id> <token>" per line); runs until stopped.
//   absorb   a load generator: one usage report per organization of a file, as fast as the host takes them.
//   dispatch our dispatcher draining a backlog into an emulator that enforces Stripe's limits, then the emulator's own rate.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var command = args.Length > 0 ? args[0] : "";
var options = Options(args.Skip(1).ToArray());
try
{
    return command switch
    {
        "serve" => await ServeAsync(),
        "absorb" => await AbsorbAsync(),
        "dispatch" => await DispatchAsync(),
        _ => Fail("usage: compare-host serve|absorb|dispatch [--name value ...] (see bench/README.md)"),
    };
}
catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or HttpRequestException)
{
    return Fail($"compare-host {command}: {exception.Message}");
}

async Task<int> ServeAsync()
{
    var port = Int("port", 5090);
    var server = Server();
    var database = await CreateDatabaseAsync(server, "compare");
    var builder = WebApplication.CreateSlimBuilder();
    builder.WebHost.UseKestrel().UseUrls($"http://127.0.0.1:{port}");
    database = ApplyServeTuning(builder, database);
    builder.Logging.ClearProviders();
    builder.Logging.AddSimpleConsole();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    // A lost unique-index race is the designed outcome of concurrent duplicates; EF logs it as an error.
    builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Critical);
    builder.Services.AddVaultAIBilling(ConfigureServeWithoutStripe)
        .AddEntityFrameworkStore(o => o.UseNpgsql(database));
    builder.Services.AddAuthorization(o => o.AddPolicy("VaultAI.Billing.Admin", p => p.RequireAssertion(_ => false)));
    var app = builder.Build();
    await BillingDatabase.MigrateAsync(app.Services);
    // --floor 1 serves the floor instead of our pipeline (see MapFloorAsync).
    var floor = Str("floor", "0") == "1";
    if (!floor)
    {
        app.UseAuthorization();
        app.MapVaultAIBilling();
    }

    // Registered beforehand (the rows registration writes), so the measured runs only ingest.
    await RegisterAsync(database, Int("orgs", 1000), Str("orgs-file", "orgs.txt"), "many");
    await RegisterAsync(database, Int("daily-orgs", 0), Str("daily-file", "daily.txt"), "daily");
    ReleaseSetupMemory();
    if (floor)
    {
        await MapFloorAsync(app, app.Services.GetRequiredService<IBillingStore>(), database, [Str("orgs-file", "orgs.txt"), Str("daily-file", "daily.txt")]);
    }

    await app.StartAsync();
    await File.WriteAllTextAsync(Str("ready-file", "ready"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
    Console.WriteLine($"serving on http://127.0.0.1:{port}");
    await app.WaitForShutdownAsync();
    return 0;
}

// Knobs for the p99 experiments of bench/README section 4 ("The p99 at 16 connections"), all off unless given:
//   --max-pool N        Npgsql's Maximum Pool Size for the host's database (the default here is 64); requests beyond N wait
//                       in the host for a connection instead of adding a backend competing for the same cores.
//   --min-threads N     ThreadPool.SetMinThreads(N, N): threads created at once instead of by the pool's injection.
//   --inline 1          Kestrel's sockets transport runs the application on the I/O thread (UnsafePreferInlineScheduling).
// Returns the connection string the host (and the floor) use.
string ApplyServeTuning(WebApplicationBuilder builder, string database)
{
    if (Int("min-threads", 0) is > 0 and var threads)
    {
        ThreadPool.GetMinThreads(out _, out var io);
        ThreadPool.SetMinThreads(threads, Math.Max(threads, io));
    }

    if (Str("inline", "0") == "1")
    {
        builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
    }

    var pool = Int("max-pool", 0);
    var tuned = pool > 0 ? new NpgsqlConnectionStringBuilder(database) { MaxPoolSize = pool }.ConnectionString : database;
    Console.WriteLine($"serve tuning: max pool {(pool > 0 ? pool : new NpgsqlConnectionStringBuilder(database).MaxPoolSize)}, min threads {Int("min-threads", 0)}, inline scheduling {Str("inline", "0")}");
    return tuned;
}

// The floor: only the irreducible work of a usage report, in the same process shape as the real host (Kestrel on the same
// port, same database, same organizations). Read the JSON body, SHA-256 of the bearer token, find the organization in a
// dictionary filled beforehand (our host's warm caches), send the real report statement (same SQL, same parameters,
// prepared per pooled connection), answer a small JSON object. No routing groups, filters, DI per request, validation
// messages, options, logging, metrics or ledger bookkeeping: what the real route costs above this is our code.
static async Task MapFloorAsync(WebApplication app, IBillingStore store, string database, string[] files)
{
    var byHash = new Dictionary<string, Organization>(StringComparer.Ordinal);
    foreach (var file in files.Where(File.Exists))
    {
        foreach (var line in await File.ReadAllLinesAsync(file))
        {
            var parts = line.Split(' ');
            var organization = await store.GetOrganizationAsync(Guid.Parse(parts[0])) ?? throw new InvalidOperationException($"organization {parts[0]} not found");
            byHash[Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(parts[1])))] = organization;
        }
    }

    var dataSource = NpgsqlDataSource.Create(database);
    app.Lifetime.ApplicationStopped.Register(dataSource.Dispose);
    app.MapPost("/api/usage-report", context => FloorReportAsync(context, byHash, dataSource));
}

static async Task FloorReportAsync(HttpContext context, Dictionary<string, Organization> byHash, NpgsqlDataSource dataSource)
{
    var authorization = context.Request.Headers.Authorization.ToString();
    if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal)
        || !byHash.TryGetValue(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(authorization[7..]))), out var organization))
    {
        context.Response.StatusCode = 401;
        return;
    }

    var body = context.Request.BodyReader;
    var read = await body.ReadAsync();
    while (!read.IsCompleted)
    {
        body.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        read = await body.ReadAsync();
    }

    var (organizationId, quantity, occurredAt) = ParseFloorReport(read.Buffer);
    body.AdvanceTo(read.Buffer.End);
    if (organizationId != organization.Id)
    {
        context.Response.StatusCode = 403;
        return;
    }

    var now = DateTimeOffset.UtcNow;
    var report = new UsageReport
    {
        Id = Guid.CreateVersion7(now), OrganizationId = organization.Id, Metric = "active_users", Quantity = quantity, OccurredAt = occurredAt,
        ReceivedAt = now, IdempotencyKey = context.Request.Headers["Idempotency-Key"].ToString(), Source = "usage-report", Billable = true,
    };
    var seen = new VaultAI.Billing.EntityFramework.Internal.LastSeen(now, quantity, null, null, occurredAt);
    await using (var connection = await dataSource.OpenConnectionAsync())
    {
        await using var command = VaultAI.Billing.EntityFramework.Internal.EntityFrameworkBillingStore.CreateReportCommand(
            connection, organization, report, UsagePeriod.For(organization, occurredAt), MetricAggregation.Last, outbox: null, seen);
        await command.PrepareAsync();
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        if (reader.GetInt32(1) != 1)
        {
            // A repeated key (wrk sends one in ten): success, as the real route answers, without reading the original back.
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"success":true,"duplicate":true}""");
            return;
        }
    }

    context.Response.ContentType = "application/json";
    await context.Response.WriteAsync($$"""{"success":true,"report_id":"{{report.Id}}","duplicate":false}""");
}

static (Guid OrganizationId, long Quantity, DateTimeOffset OccurredAt) ParseFloorReport(System.Buffers.ReadOnlySequence<byte> json)
{
    var reader = new Utf8JsonReader(json);
    Guid organizationId = default;
    long quantity = 0;
    DateTimeOffset occurredAt = default;
    while (reader.Read())
    {
        if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
        {
            continue;
        }

        if (reader.ValueTextEquals("organization_id"u8) && reader.Read())
        {
            organizationId = reader.GetGuid();
        }
        else if (reader.ValueTextEquals("user_count"u8) && reader.Read())
        {
            quantity = reader.GetInt64();
        }
        else if (reader.ValueTextEquals("timestamp"u8) && reader.Read())
        {
            occurredAt = reader.GetDateTimeOffset();
        }
    }

    return (organizationId, quantity, occurredAt);
}

// The rows registration writes (an organization, pending, and its credential: the SHA-256 of the token, lowercase hex),
// loaded with two binary COPYs: 100,000 organizations take seconds instead of minutes of one EF insert each, and the
// host holds no registration state afterwards. Each line of the file is "<organization id> <token>".
async Task RegisterAsync(string database, int count, string file, string label)
{
    if (count <= 0)
    {
        return;
    }

    var clock = Stopwatch.StartNew();
    var now = DateTime.UtcNow;
    var organizationIds = new Guid[count];
    var hashes = new string[count];
    await using (var lines = new StreamWriter(file))
    {
        for (var i = 0; i < count; i++)
        {
            var token = "vaultai_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            organizationIds[i] = Guid.NewGuid();
            hashes[i] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
            await lines.WriteLineAsync($"{organizationIds[i]} {token}");
        }
    }

    await using var connection = new NpgsqlConnection(database);
    await connection.OpenAsync();
    await using var transaction = await connection.BeginTransactionAsync();
    await using (var rows = await connection.BeginBinaryImportAsync(
        "COPY billing.organizations (id, name, status, cancel_at_period_end, created_at, updated_at, version) FROM STDIN (FORMAT BINARY)"))
    {
        for (var i = 0; i < count; i++)
        {
            await rows.StartRowAsync();
            await rows.WriteAsync(organizationIds[i], NpgsqlTypes.NpgsqlDbType.Uuid);
            await rows.WriteAsync($"{label} {i}", NpgsqlTypes.NpgsqlDbType.Varchar);
            await rows.WriteAsync(OrganizationStatus.Pending, NpgsqlTypes.NpgsqlDbType.Varchar);
            await rows.WriteAsync(false, NpgsqlTypes.NpgsqlDbType.Boolean);
            await rows.WriteAsync(now, NpgsqlTypes.NpgsqlDbType.TimestampTz);
            await rows.WriteAsync(now, NpgsqlTypes.NpgsqlDbType.TimestampTz);
            await rows.WriteAsync(0L, NpgsqlTypes.NpgsqlDbType.Bigint);
        }

        await rows.CompleteAsync();
    }

    await using (var rows = await connection.BeginBinaryImportAsync(
        "COPY billing.instance_credentials (id, organization_id, token_hash, token_prefix, created_at) FROM STDIN (FORMAT BINARY)"))
    {
        for (var i = 0; i < count; i++)
        {
            await rows.StartRowAsync();
            await rows.WriteAsync(Guid.NewGuid(), NpgsqlTypes.NpgsqlDbType.Uuid);
            await rows.WriteAsync(organizationIds[i], NpgsqlTypes.NpgsqlDbType.Uuid);
            await rows.WriteAsync(hashes[i], NpgsqlTypes.NpgsqlDbType.Varchar);
            await rows.WriteAsync("vaultai_" + hashes[i][..4], NpgsqlTypes.NpgsqlDbType.Varchar);
            await rows.WriteAsync(now, NpgsqlTypes.NpgsqlDbType.TimestampTz);
        }

        await rows.CompleteAsync();
    }

    await transaction.CommitAsync();
    Console.WriteLine($"registered {count} {label} organizations in {clock.Elapsed.TotalSeconds:F1} s");
}

async Task<int> AbsorbAsync()
{
    var baseAddress = new Uri(Str("base", "http://127.0.0.1:5090"));
    // --rounds R sends R reports per organization (distinct keys); --key-prefix tells passes over the same file apart.
    var rounds = Int("rounds", 1);
    var keyPrefix = Str("key-prefix", "daily");
    var lines = (await File.ReadAllLinesAsync(Str("orgs-file", "daily.txt"))).Select(l => l.Split(' ')).ToArray();
    var orgs = Enumerable.Range(0, rounds).SelectMany(_ => lines).ToArray();
    var concurrency = Int("concurrency", 16);
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    var latencies = new ConcurrentBag<double>();
    var errors = 0;
    var next = -1;
    var clock = Stopwatch.StartNew();
    var day = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    var at = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    string? firstError = null;
    var cpu = await StartAbsorbCpuAsync(Str("database", ""));
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        for (var i = Interlocked.Increment(ref next); i < orgs.Length; i = Interlocked.Increment(ref next))
        {
            var (id, token) = (orgs[i][0], orgs[i][1]);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/usage-report")
            {
                Content = new StringContent($$"""{"organization_id":"{{id}}","user_count":{{1 + (i % 500)}},"timestamp":"{{at}}"}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Add("Idempotency-Key", $"{keyPrefix}-{day}-{i / lines.Length}-{id}");
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.SendAsync(request);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref errors);
                    var answer = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                    Interlocked.CompareExchange(ref firstError, answer, null);
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                Interlocked.Increment(ref errors);
            }

            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }));
    var seconds = clock.Elapsed.TotalSeconds;
    Console.WriteLine(AbsorbCpuLine(cpu, orgs.Length));
    if (firstError is not null)
    {
        Console.Error.WriteLine($"absorb: {errors} errors, the first: {firstError}");
    }

    var sorted = latencies.Order().ToArray();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"ABSORB,{orgs.Length},{seconds:F2},{orgs.Length / seconds:F0},{Percentile(sorted, 50):F2},{Percentile(sorted, 99):F2},{errors}"));
    return errors == 0 ? 0 : 1;
}

async Task<int> DispatchAsync()
{
    var transport = Str("transport", "v1") == "v2" ? MeterEventTransport.V2Stream : MeterEventTransport.V1;
    var rows = Int("rows", 2000);
    var concurrency = Int("concurrency", 8);
    var batch = Int("batch", transport == MeterEventTransport.V2Stream ? 1000 : 100);
    var server = Server();

    // Stripe's documented live-mode limits, enforced: the dispatcher must stay under them by itself.
    await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions
    {
        DeliverWebhooksAutomatically = false,
        MeterEventsPerSecond = 1_000,
        MeterEventStreamRequestsPerSecond = 10_000,
    });
    var price = await CreateMeteredPriceAsync(stripe);
    var database = await CreateDatabaseAsync(server, "dispatch");
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.ClearProviders();
    builder.Logging.AddSimpleConsole();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.Services.AddSingleton<TimeProvider>(stripe.Clock);
    builder.Services.AddVaultAIBilling(o =>
        {
            Configure(o, stripe, price);
            o.Dispatcher.Transport = transport;
            o.Dispatcher.Concurrency = concurrency;
            o.Dispatcher.BatchSize = batch;
        })
        .AddEntityFrameworkStore(o => o.UseNpgsql(database));
    using var host = builder.Build();
    await BillingDatabase.MigrateAsync(host.Services);
    var dispatcher = host.Services.GetRequiredService<IMeterEventDispatcher>();

    // Untimed warm-up (JIT, pools, the stream session), then the measured backlog.
    const int warmUp = 300;
    await SeedBacklogAsync(host.Services, stripe, warmUp, "warm-up");
    while (await dispatcher.DispatchOnceAsync() > 0)
    {
    }

    await SeedBacklogAsync(host.Services, stripe, rows, "backlog");
    var postmaster = await PostmasterPidAsync(database);
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var databaseCpuBefore = ChildrenCpu(postmaster);
    var clock = Stopwatch.StartNew();
    var sent = 0;
    for (var n = await dispatcher.DispatchOnceAsync(); n > 0; n = await dispatcher.DispatchOnceAsync())
    {
        sent += n;
    }

    var ours = sent / clock.Elapsed.TotalSeconds;
    var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
    var databaseCpu = ChildrenCpu(postmaster) - databaseCpuBefore;

    // The process's CPU time while it drained (dispatcher, Npgsql, Stripe.net and the emulator it holds): steadier
    // than the rate on a shared machine.
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"# dispatch_{(transport == MeterEventTransport.V1 ? "v1" : "v2")}: drained {sent} rows in {clock.Elapsed.TotalSeconds:F2} s, process CPU {cpu.TotalSeconds:F2} s ({cpu.TotalMicroseconds / Math.Max(1, sent):F0} µs per row), PostgreSQL CPU {databaseCpu.TotalSeconds:F2} s"));
    var limited = stripe.Requests.Count(r => r.StatusCode == 429);
    var counted = stripe.State.MeterEvents.Count - warmUp;
    var raw = await EmulatorRawRateAsync(transport, rows, concurrency);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"DISPATCH,{(transport == MeterEventTransport.V1 ? "v1" : "v2")},{ours:F0},{raw:F0},{sent},{counted},{limited}"));
    return counted == rows && limited == 0 ? 0 : 1;
}

// The CPU an absorb pass costs outside the host: this load generator's own process and, with --database, PostgreSQL's live
// processes (the host's pooled backends stay open through a pass). Printed as
// ABSORB_CPU,<reports>,<client µs per report>,<PostgreSQL µs per report> (the last empty without --database).
static async Task<(int Postmaster, TimeSpan Client, TimeSpan Database)> StartAbsorbCpuAsync(string database)
{
    var postmaster = database.Length == 0 ? 0 : await PostmasterPidAsync(database);
    return (postmaster, Process.GetCurrentProcess().TotalProcessorTime, ChildrenCpu(postmaster));
}

static string AbsorbCpuLine((int Postmaster, TimeSpan Client, TimeSpan Database) start, int reports)
{
    var client = (Process.GetCurrentProcess().TotalProcessorTime - start.Client).TotalMicroseconds / reports;
    var database = start.Postmaster == 0 ? "" : ((ChildrenCpu(start.Postmaster) - start.Database).TotalMicroseconds / reports).ToString("F0", CultureInfo.InvariantCulture);
    return string.Create(CultureInfo.InvariantCulture, $"ABSORB_CPU,{reports},{client:F0},{database}");
}

// The PostgreSQL server's process id, read through a backend's parent (Linux; 0 when unknown).
static async Task<int> PostmasterPidAsync(string database)
{
    await using var connection = new NpgsqlConnection(database);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
    var backend = (int)(await command.ExecuteScalarAsync())!;
    return StatFields(backend) is { } fields ? int.Parse(fields[1], CultureInfo.InvariantCulture) : 0;
}

// CPU time (user + system) of the server's live processes: its backends and background workers (Linux; zero elsewhere).
// Backends that exit in between are not counted; the dispatcher's pooled connections stay open while it drains.
static TimeSpan ChildrenCpu(int postmaster)
{
    if (postmaster == 0 || !Directory.Exists("/proc"))
    {
        return TimeSpan.Zero;
    }

    long ticks = 0;
    foreach (var dir in Directory.EnumerateDirectories("/proc"))
    {
        if (int.TryParse(Path.GetFileName(dir), out var pid) && StatFields(pid) is { } f && f[1] == postmaster.ToString(CultureInfo.InvariantCulture))
        {
            ticks += long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
        }
    }

    return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
}

// The fields of /proc/<pid>/stat after the command name: [0] state, [1] parent pid, ..., [11] utime, [12] stime.
static string[]? StatFields(int pid)
{
    try
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }
    catch (IOException)
    {
        return null;
    }
    catch (UnauthorizedAccessException)
    {
        return null;
    }
}

// Rows as ingestion leaves them: one billable report and one pending outbox row each, for a few linked customers.
async Task SeedBacklogAsync(IServiceProvider services, StripeEmulator stripe, int rows, string label)
{
    var store = services.GetRequiredService<IBillingStore>();
    var now = stripe.Clock.GetUtcNow();
    using var http = EmulatorHttp(stripe);
    var customers = new List<(Guid Org, string Customer)>();
    for (var i = 0; i < 20; i++)
    {
        var org = new Organization { Id = Guid.NewGuid(), Name = $"{label} {i}", Status = OrganizationStatus.Pending, CreatedAt = now, UpdatedAt = now };
        await store.TryCreateOrganizationAsync(org, new InstanceCredential { Id = Guid.NewGuid(), OrganizationId = org.Id, TokenHash = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), TokenPrefix = "vaultai_seed", CreatedAt = now });
        customers.Add((org.Id, await PostFormAsync(http, "/v1/customers", $"email={label}{i}%40example.com")));
    }

    var factory = services.GetRequiredService<IDbContextFactory<BillingDbContext>>();
    for (var start = 0; start < rows; start += 1000)
    {
        await using var db = await factory.CreateDbContextAsync();
        for (var i = start; i < Math.Min(rows, start + 1000); i++)
        {
            var (org, customer) = customers[i % customers.Count];
            var report = new UsageReport
            {
                Id = Guid.CreateVersion7(), OrganizationId = org, Metric = "active_users", Quantity = 1 + (i % 50), OccurredAt = now.AddSeconds(-i),
                ReceivedAt = now, IdempotencyKey = $"{label}-{i}", Source = "usage-report", Billable = true,
            };
            db.UsageReports.Add(report);
            db.MeterEventOutbox.Add(new MeterEventOutboxMessage
            {
                Id = Guid.CreateVersion7(), UsageReportId = report.Id, OrganizationId = org, EventName = MeterEventName, StripeCustomerId = customer,
                Value = report.Quantity, Identifier = $"vaultai-usage-{report.Id:N}", Timestamp = report.OccurredAt, Status = OutboxStatus.Pending,
                NextAttemptAt = now, CreatedAt = now,
            });
        }

        await db.SaveChangesAsync();
    }
}

// The same events straight from Stripe.net to a fresh emulator, no limit, no database: the emulator's own ceiling.
async Task<double> EmulatorRawRateAsync(MeterEventTransport transport, int rows, int concurrency)
{
    await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { DeliverWebhooksAutomatically = false });
    await CreateMeteredPriceAsync(stripe);
    using var http = EmulatorHttp(stripe);
    var customer = await PostFormAsync(http, "/v1/customers", "email=raw%40example.com");
    var client = new Stripe.StripeClient(new Stripe.StripeClientOptions
    {
        ApiKey = stripe.ApiKey,
        ApiBase = stripe.BaseAddress.AbsoluteUri.TrimEnd('/'),
        MeterEventsBase = stripe.BaseAddress.AbsoluteUri.TrimEnd('/'),
    });
    var now = stripe.Clock.GetUtcNow().UtcDateTime;
    await SendRawAsync(client, transport, customer, now, 0, 300, concurrency); // untimed warm-up, as for ours
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    await SendRawAsync(client, transport, customer, now, 300, rows, concurrency);
    var seconds = clock.Elapsed.TotalSeconds;
    var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"# emulator's own rate: {rows} events in {seconds:F2} s, process CPU {cpu.TotalSeconds:F2} s ({cpu.TotalMicroseconds / Math.Max(1, rows):F0} µs per event)"));
    return rows / seconds;
}

static async Task SendRawAsync(Stripe.StripeClient client, MeterEventTransport transport, string customer, DateTime now, int first, int count, int concurrency)
{
    if (transport == MeterEventTransport.V1)
    {
        await Parallel.ForAsync(first, first + count, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
            await client.V1.Billing.MeterEvents.CreateAsync(new Stripe.Billing.MeterEventCreateOptions
            {
                EventName = MeterEventName,
                Identifier = $"raw-{i}",
                Timestamp = now,
                Payload = new() { ["stripe_customer_id"] = customer, ["value"] = "1" },
            }, cancellationToken: ct));
    }
    else
    {
        var session = await client.V2.Billing.MeterEventSession.CreateAsync(new Stripe.V2.Billing.MeterEventSessionCreateOptions());
        await Parallel.ForEachAsync(Enumerable.Range(first, count).Chunk(100), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (chunk, ct) =>
            await client.V2.Billing.MeterEventStream.CreateAsync(new Stripe.V2.Billing.MeterEventStreamCreateOptions
            {
                Events = chunk.Select(i => new Stripe.V2.Billing.MeterEventStreamCreateEventOptions
                {
                    EventName = MeterEventName,
                    Identifier = $"raw-{i}",
                    Timestamp = now,
                    Payload = new() { ["stripe_customer_id"] = customer, ["value"] = "1" },
                }).ToList(),
            }, new Stripe.RequestOptions { ApiKey = session.AuthenticationToken }, ct));
    }
}

static void Configure(VaultAIBillingOptions o, StripeEmulator stripe, string price)
{
    o.Plans["self-hosted"] = new BillingPlan
    {
        DisplayName = "Self-Hosted",
        MonthlyPriceId = price,
        Metered = { new MeteredComponent { Metric = "active_users", MeterEventName = MeterEventName, Aggregation = MeterAggregation.Last } },
    };
    o.Stripe.ApiKey = stripe.ApiKey;
    o.Stripe.ApiBase = stripe.BaseAddress;
    o.Stripe.MeterEventsBase = stripe.BaseAddress;
    o.Dispatcher.Enabled = false; // dispatch is measured by its own command
    o.Webhooks.Secrets = [stripe.WebhookSecret];
    o.Webhooks.RetryInBackground = false;
}

// serve measures the billing host by itself. Nothing it is asked to do reaches Stripe (its organizations stay pending, the
// dispatcher is off; dispatch is measured by its own command), and a production host has no Stripe emulator in its process,
// so serve starts none: an idle WireMock server with its assemblies, compiled code and threads was part of the peak RSS
// compare.sh reports (bench/README.md, section 4). Should a Stripe call happen after all, it fails at once on a closed port.
static void ConfigureServeWithoutStripe(VaultAIBillingOptions o)
{
    o.Plans["self-hosted"] = new BillingPlan
    {
        DisplayName = "Self-Hosted",
        MonthlyPriceId = "price_compare_self_hosted",
        Metered = { new MeteredComponent { Metric = "active_users", MeterEventName = MeterEventName, Aggregation = MeterAggregation.Last } },
    };
    o.Stripe.ApiKey = "sk_test_compare_host_without_stripe";
    o.Stripe.ApiBase = new Uri("http://127.0.0.1:9");
    o.Stripe.MeterEventsBase = o.Stripe.ApiBase;
    o.Dispatcher.Enabled = false;
    o.Webhooks.Secrets = ["whsec_compare_host_without_stripe"];
    o.Webhooks.RetryInBackground = false;
}

// Registration builds 100,000 tokens, hashes and file lines before the host serves; once they are written nothing holds
// them, but the GC keeps the memory they took committed until a budget asks for a collection. One aggressive collection
// returns it before the measured runs start (the host then grows only by what serving needs).
static void ReleaseSetupMemory()
{
    GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
}

static HttpClient EmulatorHttp(StripeEmulator stripe)
{
    var http = new HttpClient { BaseAddress = stripe.BaseAddress };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", stripe.ApiKey);
    return http;
}

static async Task<string> CreateMeteredPriceAsync(StripeEmulator stripe)
{
    using var http = EmulatorHttp(stripe);
    var meter = await PostFormAsync(http, "/v1/billing/meters", $"display_name=Active%20users&event_name={MeterEventName}&default_aggregation[formula]=last&customer_mapping[type]=by_id&customer_mapping[event_payload_key]=stripe_customer_id&value_settings[event_payload_key]=value");
    var product = await PostFormAsync(http, "/v1/products", "name=Self-Hosted");
    return await PostFormAsync(http, "/v1/prices", $"currency=eur&unit_amount_decimal=500&product={product}&recurring[interval]=month&recurring[usage_type]=metered&recurring[meter]={meter}");
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

static async Task<string> CreateDatabaseAsync(string server, string prefix)
{
    var name = $"{prefix}_{Guid.NewGuid():N}";
    await using (var connection = new NpgsqlConnection(server))
    {
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await create.ExecuteNonQueryAsync();
    }

    return new NpgsqlConnectionStringBuilder(server) { Database = name, MaxPoolSize = 64 }.ConnectionString;
}

static double Percentile(double[] sorted, int p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1)];

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

string Str(string name, string fallback) => options.GetValueOrDefault(name, fallback);

static string Server() => Environment.GetEnvironmentVariable("VAULTAI_BILLING_TEST_POSTGRES") is { Length: > 0 } server
    ? server
    : throw new InvalidOperationException("VAULTAI_BILLING_TEST_POSTGRES is not set: run bench/compare.sh, which starts the PostgreSQL cluster.");

static int Fail(string message)
{
    Console.Error.WriteLine(message);
    return 2;
}

internal static partial class Program
{
    private const string MeterEventName = "vaultai_active_users";
}
