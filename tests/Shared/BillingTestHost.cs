using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaultAI.Billing.EntityFramework;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.TestSupport;

/// <summary>
/// A real billing host for tests: Kestrel on 127.0.0.1, the EF store on a fresh PostgreSQL database,
/// the Stripe client pointed at a <see cref="StripeEmulator"/>. Admin calls carry a test header.
/// </summary>
internal sealed class BillingTestHost : IAsyncDisposable
{
    public const string AdminHeader = "X-Test-Admin";
    public const string PlanKey = "self-hosted";
    public const string MeterEventName = "vaultai_active_users";

    private readonly WebApplication _app;

    private BillingTestHost(WebApplication app, Uri baseAddress, string connectionString)
    {
        _app = app;
        BaseAddress = baseAddress;
        ConnectionString = connectionString;
        Client = new HttpClient { BaseAddress = baseAddress };
        Admin = new HttpClient { BaseAddress = baseAddress };
        Admin.DefaultRequestHeaders.Add(AdminHeader, "yes");
    }

    public Uri BaseAddress { get; }

    public string ConnectionString { get; }

    public HttpClient Client { get; }

    public HttpClient Admin { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Every request that reached the endpoints, in arrival order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(string Method, string Path, string? IdempotencyKey, int Status)> Requests { get; } = new();

    /// <summary>While set, every request's connection is dropped: the host looks unreachable to its callers.</summary>
    public bool Outage { get; set; }

    public static async Task<BillingTestHost> StartAsync(
        StripeEmulator stripe,
        string priceId,
        string? connectionString = null,
        TimeProvider? timeProvider = null,
        Action<VaultAIBillingOptions>? configure = null,
        Action<DbContextOptionsBuilder>? database = null,
        Action<ILoggingBuilder>? logging = null,
        Action<IServiceCollection>? services = null,
        Action<WebApplication>? map = null)
    {
        connectionString ??= database is null ? await TestDatabase.CreateDatabaseAsync("billing") : "";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("VAULTAI_TEST_LOGS") == "1")
        {
            builder.Logging.AddSimpleConsole();
        }

        logging?.Invoke(builder.Logging);
        builder.Services.AddSingleton(timeProvider ?? stripe.Clock);
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
                options.Stripe.InitialRetryDelay = TimeSpan.FromMilliseconds(1);
                options.Stripe.MaxRetryDelay = TimeSpan.FromMilliseconds(5);
                options.Dispatcher.Enabled = false; // tests drive the dispatcher explicitly
                options.Dispatcher.RetryBaseDelay = TimeSpan.FromSeconds(1);
                options.Webhooks.Secrets = [stripe.WebhookSecret];
                options.Webhooks.RetryInBackground = false;
                configure?.Invoke(options);
            })
            .AddEntityFrameworkStore(database ?? (options => options.UseNpgsql(connectionString)));
        services?.Invoke(builder.Services);
        builder.Services.AddAuthentication("Test").AddScheme<AuthenticationSchemeOptions, TestAdminHandler>("Test", _ => { });
        builder.Services.AddAuthorization(options => options.AddPolicy("VaultAI.Billing.Admin", policy => policy.RequireAuthenticatedUser()));

        var app = builder.Build();
        await BillingDatabase.MigrateAsync(app.Services);
        BillingTestHost? self = null;
        app.Use(async (context, next) =>
        {
            if (self?.Outage == true)
            {
                context.Abort();
                return;
            }

            await next(context);
            self?.Requests.Enqueue((context.Request.Method, context.Request.Path.Value ?? "", context.Request.Headers["Idempotency-Key"].FirstOrDefault(), context.Response.StatusCode));
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapVaultAIBilling();
        map?.Invoke(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        self = new BillingTestHost(app, new Uri(address), connectionString);
        return self;
    }

    public BillingDbContext CreateDbContext()
    {
        var factory = Services.GetRequiredService<IDbContextFactory<BillingDbContext>>();
        return factory.CreateDbContext();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Admin.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (ConnectionString.Contains("Host=", StringComparison.OrdinalIgnoreCase))
        {
            // The host's idle pooled connections to its database would otherwise stay open after the test.
            using var connection = new Npgsql.NpgsqlConnection(ConnectionString);
            Npgsql.NpgsqlConnection.ClearPool(connection);
        }
    }

    /// <summary>Authenticates requests that carry the test admin header; nothing else.</summary>
    private sealed class TestAdminHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (Request.Headers[AdminHeader] != "yes")
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "test-admin")], "Test");
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), "Test")));
        }
    }
}

/// <summary>Creates the meter, product and metered price a plan needs, straight on the emulator's wire.</summary>
internal static class EmulatorCatalog
{
    public static async Task<string> CreateMeteredPriceAsync(StripeEmulator stripe, string eventName = BillingTestHost.MeterEventName)
    {
        using var http = new HttpClient { BaseAddress = stripe.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", stripe.ApiKey);
        var meter = await PostAsync(http, "/v1/billing/meters", $"display_name=Active%20users&event_name={eventName}&default_aggregation[formula]=last&customer_mapping[type]=by_id&customer_mapping[event_payload_key]=stripe_customer_id&value_settings[event_payload_key]=value");
        var product = await PostAsync(http, "/v1/products", "name=Self-Hosted");
        var price = await PostAsync(http, "/v1/prices", $"currency=eur&unit_amount_decimal=500&product={product}&recurring[interval]=month&recurring[usage_type]=metered&recurring[meter]={meter}");
        return price;
    }

    public static async Task<string> CreateLicensedPriceAsync(StripeEmulator stripe, long unitAmount)
    {
        using var http = new HttpClient { BaseAddress = stripe.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", stripe.ApiKey);
        var product = await PostAsync(http, "/v1/products", "name=Self-Hosted%20seat");
        return await PostAsync(http, "/v1/prices", $"currency=eur&unit_amount={unitAmount}&product={product}&recurring[interval]=month");
    }

    private static async Task<string> PostAsync(HttpClient http, string path, string form)
    {
        using var content = new StringContent(form, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
        using var response = await http.PostAsync(path, content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        using var json = System.Text.Json.JsonDocument.Parse(body);
        return json.RootElement.GetProperty("id").GetString()!;
    }
}
