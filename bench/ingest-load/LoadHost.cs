using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using VaultAI.Billing.EntityFramework;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.IngestLoad;

/// <summary>
/// The billing host the way tests/Shared/BillingTestHost.cs builds it: Kestrel on 127.0.0.1 port 0, the EF store
/// on a fresh PostgreSQL database, the Stripe client pointed at a <see cref="StripeEmulator"/>, admin calls
/// authenticated by a header. The background dispatcher is off: the program drives it and times it.
/// </summary>
internal sealed class LoadHost : IAsyncDisposable
{
    public const string AdminHeader = "X-Load-Admin";
    public const string PlanKey = "self-hosted";
    public const string MeterEventName = "vaultai_active_users";

    private readonly WebApplication _app;

    private LoadHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<LoadHost> StartAsync(StripeEmulator stripe, string priceId, string connectionString, LoadSettings settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // A lost unique-index race is the designed outcome of concurrent duplicates; EF logs it as an error.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Critical);
        builder.Services.AddSingleton<TimeProvider>(stripe.Clock);
        builder.Services.AddVaultAIBilling(options =>
            {
                options.Plans[PlanKey] = new BillingPlan
                {
                    DisplayName = "Self-Hosted",
                    MonthlyPriceId = priceId,
                    Metered = { new MeteredComponent { Metric = "active_users", MeterEventName = MeterEventName, Aggregation = MeterAggregation.Last } },
                };
                options.Stripe.ApiKey = stripe.ApiKey;
                options.Stripe.ApiBase = stripe.BaseAddress;
                options.Stripe.MeterEventsBase = stripe.BaseAddress;
                options.Stripe.InitialRetryDelay = TimeSpan.FromMilliseconds(5);
                options.Stripe.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
                options.Dispatcher.Enabled = false; // driven and timed by the program
                options.Dispatcher.BatchSize = settings.DispatchBatchSize;
                options.Dispatcher.Concurrency = settings.DispatchConcurrency;
                options.Dispatcher.MaxRequestsPerSecond = settings.DispatchMaxRequestsPerSecond;
                options.Dispatcher.Transport = settings.Transport;
                options.Webhooks.Secrets = [stripe.WebhookSecret];
                options.Webhooks.RetryInBackground = false;
            })
            .AddEntityFrameworkStore(options => options.UseNpgsql(connectionString));
        builder.Services.AddAuthentication("Load").AddScheme<AuthenticationSchemeOptions, HeaderAdminHandler>("Load", _ => { });
        builder.Services.AddAuthorization(options => options.AddPolicy("VaultAI.Billing.Admin", policy => policy.RequireAuthenticatedUser()));

        var app = builder.Build();
        await BillingDatabase.MigrateAsync(app.Services);
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapVaultAIBilling();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new LoadHost(app, new Uri(address));
    }

    public BillingDbContext CreateDbContext() => Services.GetRequiredService<IDbContextFactory<BillingDbContext>>().CreateDbContext();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Creates a fresh database on the server in <paramref name="serverConnectionString"/> and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string serverConnectionString)
    {
        var name = $"ingest_load_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(serverConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = name }.ConnectionString;
    }

    public static async Task<string> ServerVersionAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT version()", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Creates the meter, product and metered price the plan needs, straight on the emulator's wire.</summary>
    public static async Task<string> CreateMeteredPriceAsync(StripeEmulator stripe)
    {
        using var http = new HttpClient { BaseAddress = stripe.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", stripe.ApiKey);
        var meter = await PostFormAsync(http, "/v1/billing/meters", $"display_name=Active%20users&event_name={MeterEventName}&default_aggregation[formula]=last&customer_mapping[type]=by_id&customer_mapping[event_payload_key]=stripe_customer_id&value_settings[event_payload_key]=value");
        var product = await PostFormAsync(http, "/v1/products", "name=Self-Hosted");
        return await PostFormAsync(http, "/v1/prices", $"currency=eur&unit_amount_decimal=500&product={product}&recurring[interval]=month&recurring[usage_type]=metered&recurring[meter]={meter}");
    }

    private static async Task<string> PostFormAsync(HttpClient http, string path, string form)
    {
        using var content = new StringContent(form, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
        using var response = await http.PostAsync(path, content);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {body}");
        }

        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Authenticates requests that carry the admin header; nothing else. Loopback only.</summary>
    private sealed class HeaderAdminHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (Request.Headers[AdminHeader] != "yes")
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "load-admin")], "Load");
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), "Load")));
        }
    }
}
