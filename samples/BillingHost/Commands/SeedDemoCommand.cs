using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BillingHost.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using VaultAI.Billing;
using VaultAI.Billing.Linking;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Plans;

namespace BillingHost.Commands;

/// <summary>
/// <c>seed-demo</c>: fills the embedded demo with a few organizations on the selected catalog and three weeks of usage,
/// through the same paths as real traffic: the host is started on a loopback port, the organizations register and report
/// over HTTP with their own tokens, and they are linked to the embedded Stripe emulator by the library's administration
/// service. Running it again changes nothing.
/// </summary>
internal static class SeedDemoCommand
{
    /// <summary>How many days of usage each organization reports, ending today.</summary>
    public const int Days = 21;

    private const string SeededMessage = "The demo is already seeded; nothing was changed.";

    /// <summary>The demo organizations: fixed ids, so a second run finds them.</summary>
    internal static IReadOnlyList<DemoOrganization> Organizations { get; } =
    [
        new(Guid.Parse("5eed0000-0000-4000-8000-000000000001"), "Aurora Pending Ltd", "aurora.example.com", DemoRole.Pending),
        new(Guid.Parse("5eed0000-0000-4000-8000-000000000002"), "Birch Free Co", "birch.example.com", DemoRole.Free),
        new(Guid.Parse("5eed0000-0000-4000-8000-000000000003"), "Cobalt Trial GmbH", "cobalt.example.com", DemoRole.Trialing),
        new(Guid.Parse("5eed0000-0000-4000-8000-000000000004"), "Delta Active SA", "delta.example.com", DemoRole.Active),
        new(Guid.Parse("5eed0000-0000-4000-8000-000000000005"), "Ember Active Inc", "ember.example.com", DemoRole.Active),
    ];

    /// <summary>Runs the command; returns the exit code.</summary>
    public static async Task<int> RunAsync(IConfiguration configuration, string contentRoot, TextWriter output)
    {
        if (HostMode.IsProduction(configuration))
        {
            throw new HostConfigurationException(
                "seed-demo fills the embedded demo only: unset ConnectionStrings:Billing and VaultAI:Billing:Stripe:ApiKey to seed the demo database and emulator.");
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = contentRoot, Args = [] });
        builder.Configuration.AddConfiguration(configuration);
        builder.Configuration["urls"] = "http://127.0.0.1:0";
        builder.Logging.ClearProviders();
        await builder.AddBillingHostAsync();
        builder.Services.AddSingleton<HostConsole, QuietConsole>();
        await using var app = builder.Build();
        app.UseBillingHost();
        await app.StartAsync();
        try
        {
            return await SeedAsync(app, output);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    private static async Task<int> SeedAsync(WebApplication app, TextWriter output)
    {
        var options = app.Services.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value;
        var catalog = app.Services.GetRequiredService<EmbeddedStripe>().Catalog.Catalog;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var admin = scope.ServiceProvider.GetRequiredService<BillingAdministration>();
            var existing = 0;
            foreach (var organization in Organizations)
            {
                existing += await admin.GetOrganizationAsync(organization.Id) is null ? 0 : 1;
            }

            if (existing == Organizations.Count)
            {
                await output.WriteLineAsync(SeededMessage);
                return 0;
            }

            if (existing > 0)
            {
                throw new HostConfigurationException(
                    $"an earlier seed-demo stopped half-way ({existing} of {Organizations.Count} demo organizations exist): remove the data folder (VaultAI:Host:DataPath) and run seed-demo again.");
            }
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        if (options.Registration.EnrollmentKey is { Length: > 0 } enrollmentKey)
        {
            http.DefaultRequestHeaders.Add("X-Enrollment-Key", enrollmentKey);
        }

        var paid = options.Plans.Where(p => !p.Value.IsFree).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        var free = options.Plans.Where(p => p.Value.IsFree).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key).FirstOrDefault();
        var today = DateTimeOffset.UtcNow;
        var seeded = 0;
        var paidIndex = 0;
        foreach (var organization in Organizations)
        {
            var planKey = organization.Role switch
            {
                DemoRole.Pending => null,
                DemoRole.Free => free,
                _ => paid.Count == 0 ? null : paid[paidIndex++ % paid.Count].Key,
            };
            if (organization.Role == DemoRole.Free && planKey is null)
            {
                continue; // this catalog has no free plan
            }

            var token = await RegisterAsync(http, organization);
            if (planKey is not null)
            {
                await using var scope = app.Services.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<BillingAdministration>().LinkAsync(organization.Id, new LinkRequest
                {
                    AdminEmail = $"billing@{organization.InstanceUrl}",
                    DeploymentType = organization.Role == DemoRole.Trialing ? DeploymentTypes.ManagedCloud : DeploymentTypes.OnPremise,
                    PlanKey = planKey,
                    TrialDays = organization.Role == DemoRole.Trialing ? 14 : 0,
                    BillingInterval = "monthly",
                });
            }

            var plan = planKey is null ? null : options.Plans[planKey];
            var reports = await ReportUsersAsync(http, token, organization, today);
            var events = await RecordMetricsAsync(http, token, organization, options, plan, today);
            await output.WriteLineAsync($"{organization.Name} ({organization.Id}): {planKey ?? "pending, not linked"}; {reports} daily user reports, {events} usage events");
            seeded++;
        }

        // The MRR history starts today: the organizations were linked just now, so no earlier day had any revenue to show
        // (their usage is back-dated, their subscriptions are not). The host adds a point every day it runs.
        var snapshots = await app.Services.GetRequiredService<RevenueHistory>().RecordAsync();
        await output.WriteLineAsync($"MRR recorded for today: {string.Join(", ", snapshots.Select(s => $"{BillingHost.Pages.Format.Money(s.Mrr, s.Currency)} ({s.PayingOrganizations} paying), potential {BillingHost.Pages.Format.Money(s.PotentialMrr, s.Currency)} ({s.TrialingOrganizations} trialing)"))}");
        await output.WriteLineAsync($"Seeded {seeded} organizations on the {catalog} catalog with {Days} days of usage. Start the host and open the dashboard.");
        return 0;
    }

    private static async Task<string> RegisterAsync(HttpClient http, DemoOrganization organization)
    {
        var body = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["organization_id"] = organization.Id.ToString(),
            ["organization_name"] = organization.Name,
            ["instance_url"] = organization.InstanceUrl,
        });
        using var response = await http.PostAsync("/api/organizations/register", Json(body));
        using var answer = JsonDocument.Parse(await EnsureSuccessAsync(response, "register " + organization.Name));
        return answer.RootElement.GetProperty("billing_token").GetString()!;
    }

    /// <summary>One user count per day, growing a little, through the instances' report route.</summary>
    private static async Task<int> ReportUsersAsync(HttpClient http, string token, DemoOrganization organization, DateTimeOffset today)
    {
        var random = new Random(organization.Id.GetHashCode());
        var users = 5 + random.Next(20);
        for (var day = Days - 1; day >= 0; day--)
        {
            users = Math.Max(1, users + random.Next(-1, 3));
            var body = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["organization_id"] = organization.Id.ToString(),
                ["organization_name"] = organization.Name,
                ["instance_url"] = organization.InstanceUrl,
                ["user_count"] = users,
                ["timestamp"] = Timestamp(DayAt(today, day)),
            });
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/usage-report") { Content = Json(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Add("Idempotency-Key", $"seed-demo-users-{day}");
            using var response = await http.SendAsync(request);
            await EnsureSuccessAsync(response, "report users of " + organization.Name);
        }

        return Days;
    }

    /// <summary>One event per day of every other catalog metric, below the plan's limit, in one batch.</summary>
    private static async Task<int> RecordMetricsAsync(HttpClient http, string token, DemoOrganization organization, VaultAIBillingOptions options, BillingPlan? plan, DateTimeOffset today)
    {
        var random = new Random(organization.Id.GetHashCode() ^ 0x5eed);
        var events = new List<Dictionary<string, object>>();
        foreach (var (key, metric) in options.Metrics.Where(m => m.Key != options.ReportMetric).OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            var limit = LimitOf(plan, key);
            for (var day = Days - 1; day >= 0; day--)
            {
                var share = 0.4 + (random.NextDouble() * 0.45);
                decimal quantity = (limit, metric.Aggregation) switch
                {
                    ({ } l, MetricAggregation.Sum or MetricAggregation.Count) => l / 30m * (decimal)share,
                    ({ } l, _) => l * (decimal)share,
                    (null, MetricAggregation.Sum or MetricAggregation.Count) => 10m + (decimal)(share * 40),
                    _ => 2m + (decimal)(share * 6),
                };
                quantity = Math.Round(quantity, Math.Clamp(metric.Decimals, 0, 6), MidpointRounding.ToZero);
                events.Add(new Dictionary<string, object>
                {
                    ["id"] = $"seed-demo-{key}-{day}",
                    ["metric"] = key,
                    ["quantity"] = quantity,
                    ["timestamp"] = Timestamp(DayAt(today, day)),
                });
            }
        }

        if (events.Count == 0)
        {
            return 0;
        }

        var body = JsonSerializer.Serialize(new Dictionary<string, object> { ["organization_id"] = organization.Id.ToString(), ["events"] = events });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/usage-events") { Content = Json(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        await EnsureSuccessAsync(response, "record usage of " + organization.Name);
        return events.Count;
    }

    /// <summary>The plan's limit of a metric, or <see langword="null"/> when unlimited.</summary>
    internal static decimal? LimitOf(BillingPlan? plan, string metric)
    {
        if (plan is null)
        {
            return null;
        }

        if (plan.Metrics.TryGetValue(metric, out var planMetric) && planMetric.Limit is { } limit)
        {
            return limit < 0 ? null : limit;
        }

        return plan.Limits.TryGetValue(metric, out var shorthand) && shorthand >= 0 ? shorthand : null;
    }

    /// <summary>Midday UTC of a past day, or an hour ago for today (never in the future).</summary>
    private static DateTimeOffset DayAt(DateTimeOffset today, int daysAgo) =>
        daysAgo == 0 ? today.AddHours(-1) : new DateTimeOffset(today.UtcDateTime.Date, TimeSpan.Zero).AddDays(-daysAgo).AddHours(12);

    private static string Timestamp(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<string> EnsureSuccessAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new HostConfigurationException($"seed-demo could not {what}: {(int)response.StatusCode} {body}");
        }

        return body;
    }

    /// <summary>The seeding host prints no banner: the command prints its own lines.</summary>
    private sealed class QuietConsole : HostConsole
    {
        public override TextWriter Out => TextWriter.Null;
    }
}

/// <summary>What a demo organization shows.</summary>
internal enum DemoRole
{
    /// <summary>Registered, never linked.</summary>
    Pending,

    /// <summary>Linked on the catalog's free plan (skipped when there is none).</summary>
    Free,

    /// <summary>Linked with a 14-day trial.</summary>
    Trialing,

    /// <summary>Linked without a trial.</summary>
    Active,
}

/// <summary>One demo organization.</summary>
internal sealed record DemoOrganization(Guid Id, string Name, string InstanceUrl, DemoRole Role);
