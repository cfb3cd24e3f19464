using System.Threading.RateLimiting;
using BillingHost.Admin;
using BillingHost.Provisioning;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Options;
using VaultAI.Billing;
using VaultAI.Billing.EntityFramework;

namespace BillingHost.Hosting;

/// <summary>The host's composition: what <c>Program.cs</c> calls, in two steps (services, then the pipeline).</summary>
public static class HostComposition
{
    /// <summary>The rate-limiting policy of the sign-in form.</summary>
    public const string LoginPolicy = "login";

    /// <summary>
    /// Adds everything: embedded mode (SQLite, in-process Stripe emulator with the catalog provisioned, a generated admin
    /// password) when neither <c>ConnectionStrings:Billing</c> nor <c>VaultAI:Billing:Stripe:ApiKey</c> is set; production
    /// mode (PostgreSQL, real Stripe, every setting required) otherwise.
    /// </summary>
    public static async Task AddBillingHostAsync(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;
        if (string.IsNullOrEmpty(configuration["urls"]))
        {
            builder.WebHost.UseUrls("http://127.0.0.1:5080");
        }

        // First hosted service: the schema exists before the billing services (the meter-event dispatcher) start.
        services.AddHostedService<DatabaseStartup>();

        string? generatedPassword = null;
        HostMode mode;
        IVaultAIBillingBuilder billing;
        if (HostMode.IsProduction(configuration))
        {
            var connectionString = HostValidation.RequireConnectionString(configuration);
            HostValidation.RequireStripeKey(configuration);
            mode = new HostMode(false, null, null);
            if (!string.IsNullOrEmpty(configuration[PlanCatalog.Setting]))
            {
                // A selected catalog supplies amounts, limits and features; the Stripe ids come from the settings
                // setup-stripe printed, which override it like any other setting.
                var catalog = PlanCatalog.Load(configuration, builder.Environment.ContentRootPath);
                configuration.Sources.Insert(0, new MemoryConfigurationSource
                {
                    InitialData = catalog.Settings.Select(kv => new KeyValuePair<string, string?>($"{VaultAIBillingOptions.SectionName}:{kv.Key}", kv.Value)),
                });
            }

            billing = services.AddVaultAIBilling(configuration.GetSection(VaultAIBillingOptions.SectionName));
            billing.AddEntityFrameworkStore(options => options.UseNpgsql(connectionString));
        }
        else
        {
            var dataPath = Path.GetFullPath(configuration[$"{BillingHostOptions.SectionName}:DataPath"] is { Length: > 0 } configured
                ? Path.Combine(builder.Environment.ContentRootPath, configured)
                : Path.Combine(builder.Environment.ContentRootPath, "data"));
            Directory.CreateDirectory(dataPath);
            var sqlitePath = Path.Combine(dataPath, "billing.db");

            // The emulator is itself an ASP.NET Core app. Starting it without this execution context keeps tools that
            // watch for the entry point's host (WebApplicationFactory, dotnet-ef) from taking the emulator's host for ours.
            var selectedCatalog = PlanCatalog.Load(configuration, builder.Environment.ContentRootPath);
            Task<EmbeddedStripe> starting;
            using (ExecutionContext.SuppressFlow())
            {
                starting = Task.Run(() => EmbeddedStripe.StartAsync(selectedCatalog, dataPath, configuration.GetSection("Logging")));
            }

            var embedded = await starting;
            var settings = embedded.ToConfiguration().ToList();
            var host = configuration.GetSection(BillingHostOptions.SectionName);
            if (!host.GetSection("Admins").GetChildren().Any() && !host.GetSection("AdminApiKeyHashes").GetChildren().Any())
            {
                // Only the hash is kept; the password itself is printed once in the banner.
                generatedPassword = AdminCredentials.NewPassword();
                settings.Add(new($"{BillingHostOptions.SectionName}:Admins:admin:PasswordHash", AdminCredentials.HashPassword("admin", generatedPassword)));
            }

            configuration.AddInMemoryCollection(settings);
            mode = new HostMode(true, sqlitePath, embedded.Emulator.BaseAddress);
            services.AddSingleton(_ => embedded); // created by the container's factory, so the container stops it
            services.AddHostedService(provider => provider.GetRequiredService<EmbeddedStripe>()); // and the host's stop waits for its last save
            services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataPath, "keys")));
            // The demo's cookie keys sit unencrypted in its data folder, beside its unencrypted database: the "No XML
            // encryptor configured" warning would say nothing new. Production keeps it (README.md, Production).
            builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error);
            billing = services.AddVaultAIBilling(configuration.GetSection(VaultAIBillingOptions.SectionName));
            billing.AddEntityFrameworkStore(options => options.UseSqlite($"Data Source={sqlitePath}"));
        }

        services.AddSingleton(mode);
        EventHookForwarder.Register(services, configuration);
        services.AddSingleton(new GeneratedAdminPassword(generatedPassword));
        services.AddSingleton<HostConsole>();
        services.AddHostedService<HostBanner>();
        services.AddOptions<BillingHostOptions>().Bind(configuration.GetSection(BillingHostOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BillingHostOptions>, BillingHostOptionsValidator>();
        services.AddSingleton<IValidateOptions<VaultAIBillingOptions>, ProductionBillingOptionsValidator>();

        var hostSettings = configuration.GetSection(BillingHostOptions.SectionName).Get<BillingHostOptions>() ?? new BillingHostOptions();
        if (!mode.Embedded && !string.IsNullOrWhiteSpace(hostSettings.DataProtectionKeysPath))
        {
            services.AddDataProtection().SetApplicationName("VaultAI.Billing.Host").PersistKeysToFileSystem(new DirectoryInfo(hostSettings.DataProtectionKeysPath));
        }

        var adminPolicy = configuration[$"{VaultAIBillingOptions.SectionName}:AdminPolicy"] is { Length: > 0 } policy ? policy : new VaultAIBillingOptions().AdminPolicy;
        services.AddProblemDetails(options => options.CustomizeProblemDetails = ErrorAnswers.AddCode);
        services.AddExceptionHandler<DatabaseUnavailableHandler>();
        services.AddAdminAuthentication(adminPolicy, hostSettings.SessionIdleTimeout);
        services.AddRazorPages(options =>
        {
            options.Conventions.AuthorizeFolder("/", adminPolicy);
            options.Conventions.AllowAnonymousToPage("/Login");
        });
        services.AddHealthChecks()
            .AddDbContextCheck<BillingDbContext>("database", tags: ["ready"])
            .AddCheck<StripeHealthCheck>("stripe", tags: ["ready"]);
        services.AddBillingOpenApi();
        builder.AddBillingTelemetry();
        // Instance routes: limited where the library authenticates, by verified organization and by client address.
        billing.AddInstanceRateLimits(limits =>
        {
            limits.RequestsPerMinutePerOrganization = Math.Max(1, hostSettings.InstanceRequestsPerMinute);
            limits.UnauthenticatedRequestsPerMinutePerAddress = Math.Max(1, hostSettings.UnauthenticatedRequestsPerMinute);
        });
        services.AddLoginRateLimit();
        services.AddForwardedHeaders(hostSettings.ForwardedHeaders);
    }

    /// <summary>Adds the middleware and maps the billing API, the dashboard, health and OpenAPI.</summary>
    public static WebApplication UseBillingHost(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<BillingHostOptions>>().Value.ForwardedHeaders.Enabled)
        {
            // First: everything after it (rate limits, logs) sees the client's address, not the proxy's.
            app.UseForwardedHeaders();
        }

        // A failure or an error status without a body (unmatched route 404, 405, antiforgery 400...): a browser on a
        // dashboard page gets the HTML error page in the layout, everyone else (and every /api route) problem details.
        // The HTML handlers are outermost and on the app itself (re-executing needs the app's routes, which a branch
        // lacks); the inner branch answers API callers first, so the outer ones only ever see browsers' errors.
        app.UseExceptionHandler(ErrorAnswers.HtmlPagePath);
        app.UseStatusCodePagesWithReExecute(ErrorAnswers.HtmlPagePath + "/{0}");
        app.UseWhen(context => !ErrorAnswers.WantsHtmlPage(context), api => api
            .UseExceptionHandler()
            .UseStatusCodePages(ErrorAnswers.WriteStatusCodeProblemAsync));
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") }).AllowAnonymous();
        app.MapBillingApiReference();
        app.MapBillingMetrics();
        app.MapVaultAIBilling();
        app.MapRazorPages();
        return app;
    }

    private static void AddLoginRateLimit(this IServiceCollection services)
    {
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(LoginPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                "ip:" + context.Connection.RemoteIpAddress,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 10, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            options.OnRejected = (context, _) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return new ValueTask(AdminAuthentication.WriteProblemAsync(
                    context.HttpContext, StatusCodes.Status429TooManyRequests, "rate_limited", $"Too many requests; retry after {Math.Ceiling(retryAfter.TotalSeconds)} seconds."));
            };
        });
    }

    private static void AddForwardedHeaders(this IServiceCollection services, ForwardedHeadersSettings settings)
    {
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only the configured proxies are believed, not the framework's default of loopback.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in settings.KnownProxies)
            {
                if (System.Net.IPAddress.TryParse(proxy, out var address))
                {
                    options.KnownProxies.Add(address);
                }
            }

            foreach (var network in settings.KnownNetworks)
            {
                if (System.Net.IPNetwork.TryParse(network, out var parsed))
                {
                    options.KnownIPNetworks.Add(parsed);
                }
            }
        });
    }
}

/// <summary>The generated admin password of embedded mode, held until the banner has printed it once.</summary>
public sealed class GeneratedAdminPassword(string? password)
{
    private string? _password = password;

    /// <summary>Returns the password the first time, then <see langword="null"/>.</summary>
    public string? Take() => Interlocked.Exchange(ref _password, null);
}

/// <summary>Where the host prints its banner (the console; tests substitute a writer).</summary>
public class HostConsole
{
    /// <summary>The writer.</summary>
    public virtual TextWriter Out => Console.Out;
}
