using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BillingHost.Admin;
using BillingHost.Provisioning;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.FaultTests.Support;

/// <summary>
/// One fault scenario's world: the Stripe emulator in the test process, a fresh PostgreSQL database, the production
/// settings of the billing host (as environment variables), and every host process started for it (all killed on
/// dispose). The dispatcher and webhook retries run with short, configured delays so a scenario takes seconds.
/// </summary>
internal sealed class FaultRig : IAsyncDisposable
{
    public const string Plan = "self-hosted";
    private readonly List<HostProcess> _hosts = [];
    private readonly Dictionary<string, string> _environment;

    private FaultRig(StripeEmulator stripe, string connectionString, string adminApiKey, Dictionary<string, string> environment)
    {
        KeysPath = environment["VaultAI__Host__DataProtectionKeysPath"];
        Stripe = stripe;
        ConnectionString = connectionString;
        AdminApiKey = adminApiKey;
        _environment = environment;
        Ledger = new Ledger(connectionString);
    }

    public StripeEmulator Stripe { get; }

    /// <summary>The Data Protection key ring every host of this rig shares, as hosts behind one load balancer do.</summary>
    public string KeysPath { get; }

    public string ConnectionString { get; }

    public string AdminApiKey { get; }

    public Ledger Ledger { get; }

    /// <summary>Starts the emulator, provisions the plan catalog on it, and prepares a fresh database (or uses <paramref name="connectionString"/>).</summary>
    public static async Task<FaultRig> StartAsync(StripeEmulatorOptions? options = null, string? connectionString = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        var stripe = await StripeEmulator.StartAsync(options);
        try
        {
            connectionString ??= await TestDatabase.CreateDatabaseAsync("faults");
            var catalog = await BillingHost.Hosting.StripeClients.UseAsync(
                o => { o.ApiKey = stripe.ApiKey; o.ApiBase = stripe.BaseAddress; },
                client => new StripeCatalogProvisioner(client).ProvisionAsync());
            var apiKey = AdminCredentials.NewApiKey();
            var configuration = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["ConnectionStrings:Billing"] = connectionString,
                ["VaultAI:Billing:Stripe:ApiKey"] = stripe.ApiKey,
                ["VaultAI:Billing:Stripe:ApiBase"] = stripe.BaseAddress.ToString(),
                ["VaultAI:Billing:Stripe:MeterEventsBase"] = stripe.BaseAddress.ToString(),
                ["VaultAI:Billing:Stripe:InitialRetryDelay"] = "00:00:00.050",
                ["VaultAI:Billing:Stripe:MaxRetryDelay"] = "00:00:00.200",
                ["VaultAI:Billing:Webhooks:Secrets:0"] = stripe.WebhookSecret,
                ["VaultAI:Billing:Webhooks:RetryInterval"] = "00:00:01",
                // The shortest lease the options allow, so rows a killed host held are taken over within seconds.
                ["VaultAI:Billing:Dispatcher:LeaseDuration"] = "00:00:05",
                ["VaultAI:Billing:Dispatcher:PollInterval"] = "00:00:00.200",
                ["VaultAI:Billing:Dispatcher:RetryBaseDelay"] = "00:00:00.100",
                ["VaultAI:Billing:Dispatcher:RetryMaxDelay"] = "00:00:01",
                ["VaultAI:Host:AdminApiKeyHashes:0"] = AdminCredentials.HashApiKey(apiKey),
                ["VaultAI:Host:MigrateAtStart"] = "true",
                // Registration is limited per client address (every test instance here shares 127.0.0.1), reports per organization.
                ["VaultAI:Host:UnauthenticatedRequestsPerMinute"] = "100000",
                ["VaultAI:Host:InstanceRequestsPerMinute"] = "100000",
                ["VaultAI:Host:DataProtectionKeysPath"] = Path.Combine(Path.GetTempPath(), "vaultai-fault-keys", Guid.NewGuid().ToString("N")),
            };
            foreach (var (key, value) in catalog.ToConfiguration())
            {
                configuration[key] = value;
            }

            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                configuration[key] = value;
            }

            var environment = configuration.ToDictionary(p => p.Key.Replace(":", "__", StringComparison.Ordinal), p => p.Value, StringComparer.Ordinal);
            return new FaultRig(stripe, connectionString, apiKey, environment);
        }
        catch
        {
            await stripe.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a billing host process on this rig's database and emulator.</summary>
    public async Task<HostProcess> StartHostAsync(int port = 0, IReadOnlyDictionary<string, string>? settings = null)
    {
        var environment = new Dictionary<string, string>(_environment, StringComparer.Ordinal);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var host = await HostProcess.StartAsync(environment, port);
        _hosts.Add(host);
        return host;
    }

    /// <summary>Registers an organization and links it to the self-hosted plan with a trial; returns its token.</summary>
    public async Task<string> RegisterAndLinkAsync(HostProcess host, Guid organizationId, int trialDays = 4)
    {
        var token = await RegisterAsync(host, organizationId);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/admin/organizations/{organizationId}/link")
        {
            Content = Json($$"""{"admin_email":"billing+{{organizationId:N}}@example.com","deployment_type":"on-premise","plan_type":"{{Plan}}","trial_days":{{trialDays}}}"""),
        };
        request.Headers.Add(AdminAuthentication.ApiKeyHeader, AdminApiKey);
        using var response = await host.Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"link {organizationId}: {(int)response.StatusCode} {body}");
        return token;
    }

    public static async Task<string> RegisterAsync(HostProcess host, Guid organizationId)
    {
        using var response = await host.Client.PostAsync("/api/organizations/register", Json($$"""{"organization_id":"{{organizationId}}","organization_name":"Org {{organizationId:N}}","instance_url":"{{organizationId:N}}.example.com"}"""));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"register: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("billing_token").GetString()!;
    }

    /// <summary>The instance's daily report, with an idempotency key so a retried report is recognised as the same one.</summary>
    public static async Task<HttpResponseMessage> ReportAsync(HttpClient client, string token, Guid organizationId, long userCount, DateTimeOffset timestamp)
    {
        var body = $$"""{"organization_id":"{{organizationId}}","organization_name":"Org {{organizationId:N}}","user_count":{{userCount}},"timestamp":"{{timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}}"}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/usage-report") { Content = Json(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("Idempotency-Key", $"report-{organizationId:N}-{timestamp.ToUnixTimeSeconds()}");
        return await client.SendAsync(request);
    }

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>
    /// Waits until the outbox has nothing pending, then checks exactly-once by identifier: every ledger row is sent,
    /// every identifier reached Stripe's aggregate once, with the ledger's value, and Stripe counted nothing else.
    /// </summary>
    public async Task AssertEveryReportBilledExactlyOnceAsync(int expectedReports, TimeSpan timeout)
    {
        await Poll.UntilAsync(async () => (await Ledger.OutboxAsync()).All(r => r.Status != "pending"), timeout, async () => "outbox still pending: " + string.Join(", ", (await Ledger.OutboxAsync()).Where(r => r.Status == "pending").Select(r => $"{r.Identifier} attempts={r.Attempts} lease={r.LeaseExpiresAt:O} error={r.LastError}").Take(5)));

        var reports = await Ledger.UsageReportCountAsync();
        var outbox = await Ledger.OutboxAsync();
        Assert.Equal(expectedReports, reports);
        Assert.Equal(expectedReports, outbox.Count);
        Assert.All(outbox, row => Assert.True(row.Status == "sent", $"{row.Identifier}: {row.Status} {row.LastError}"));

        var aggregated = Stripe.State.MeterEvents;
        Assert.Equal(aggregated.Count, aggregated.Select(e => e.Identifier).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(
            outbox.Select(r => (r.Identifier, r.StripeCustomerId, r.Value)).OrderBy(r => r.Identifier, StringComparer.Ordinal),
            aggregated.Select(e => (e.Identifier, e.CustomerId ?? "", e.Value)).OrderBy(r => r.Identifier, StringComparer.Ordinal));
        // Stripe's aggregate per customer is the ledger's, not more (no double count) and not less (nothing lost).
        Assert.Equal(
            outbox.GroupBy(r => r.StripeCustomerId).Select(g => (g.Key, g.Sum(r => r.Value))).OrderBy(g => g.Key, StringComparer.Ordinal),
            aggregated.GroupBy(e => e.CustomerId ?? "").Select(g => (g.Key, g.Sum(e => e.Value))).OrderBy(g => g.Key, StringComparer.Ordinal));
    }

    /// <summary>Every Stripe event the emulator delivered and the host handles is in the inbox once, applied (not failed, not stuck).</summary>
    public async Task AssertEveryWebhookAppliedOnceAsync(TimeSpan timeout)
    {
        await Stripe.Deliveries.FlushAsync().WaitAsync(timeout);
        var delivered = Stripe.Deliveries.Delivered;
        Assert.All(delivered, d => Assert.True(d.Succeeded, $"delivery of {d.EventId} ({d.EventType}) to {d.Endpoint} failed after {d.Attempts} attempts, last status {d.LastStatusCode}"));
        var eventIds = delivered.Select(d => d.EventId).ToHashSet(StringComparer.Ordinal);
        await Poll.UntilAsync(
            async () => (await Ledger.WebhookEventsAsync()).All(e => e.Status is "processed" or "ignored"),
            timeout,
            async () => "inbox: " + string.Join(", ", (await Ledger.WebhookEventsAsync()).Where(e => e.Status is not ("processed" or "ignored")).Select(e => $"{e.Id} {e.Type} {e.Status}").Take(5)));
        var inbox = await Ledger.WebhookEventsAsync();
        Assert.Equal(inbox.Count, inbox.Select(e => e.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(eventIds.Order(StringComparer.Ordinal), inbox.Select(e => e.Id).Order(StringComparer.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        await Stripe.DisposeAsync();
        if (Directory.Exists(KeysPath))
        {
            Directory.Delete(KeysPath, recursive: true);
        }
    }
}

/// <summary>Polling a condition instead of sleeping a fixed time.</summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<Task<string>>? describe = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"Condition not met within {timeout.TotalSeconds} s. {(describe is null ? "" : await describe())}");
            }

            await Task.Delay(50);
        }
    }

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string>? describe = null) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, describe is null ? null : () => Task.FromResult(describe()));
}
