using BillingHost.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VaultAI.Billing.Testing;

namespace BillingHost.IntegrationTests.Support;

/// <summary>
/// The real <c>Program</c> with settings passed the way an operator would (they reach the composition before
/// <c>Build()</c>), its own temp data folder, the banner captured, and the background dispatcher off unless asked.
/// </summary>
public sealed class HostFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    public HostFactory(Dictionary<string, string?>? settings = null, bool dispatcher = false, bool kestrel = false)
    {
        DataPath = Path.Combine(Path.GetTempPath(), "billinghost-tests", Guid.NewGuid().ToString("N"));
        _settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["VaultAI:Host:DataPath"] = DataPath,
            ["VaultAI:Billing:Dispatcher:Enabled"] = dispatcher ? "true" : "false",
            ["VaultAI:Billing:Stripe:InitialRetryDelay"] = "00:00:00.010",
            ["VaultAI:Billing:Stripe:MaxRetryDelay"] = "00:00:00.050",
        };
        foreach (var (key, value) in settings ?? [])
        {
            _settings[key] = value;
        }

        if (kestrel)
        {
            // A real loopback port, for a browser and for the emulator's webhooks.
            _settings["urls"] = "http://127.0.0.1:0";
            UseKestrel();
        }
    }

    /// <summary>The address Kestrel bound (with <c>kestrel: true</c>).</summary>
    public Uri ServerAddress
    {
        get
        {
            StartServer();
            var server = Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>();
            var addresses = server.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
            return new Uri(addresses.First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)));
        }
    }

    public string DataPath { get; }

    /// <summary>The host's environment (<c>Development</c>, WebApplicationFactory's default, unless set).</summary>
    public string? EnvironmentName { get; init; }

    /// <summary>Extra service registrations of a test (applied after the host's own).</summary>
    public Action<IServiceCollection>? ConfigureTestServices { get; init; }

    public CapturingConsole Console { get; } = new();

    public EmbeddedStripe Embedded => Services.GetRequiredService<EmbeddedStripe>();

    public StripeEmulator Stripe => Embedded.Emulator;

    /// <summary>The admin password the banner printed (embedded mode without configured admins).</summary>
    public string BannerPassword()
    {
        StartServer(); // make sure the host started
        var line = Console.Text.Split('\n').Single(l => l.Contains("Sign in:", StringComparison.Ordinal));
        return line.Split("password ", StringSplitOptions.None)[1].Split(' ')[0];
    }

    public HttpClient CreateBrowserLikeClient() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (EnvironmentName is { } environment)
        {
            builder.UseEnvironment(environment);
        }

        builder.ConfigureLogging(logging =>
        {
            logging.ClearProviders();
            if (Environment.GetEnvironmentVariable("VAULTAI_TEST_LOGS") == "1")
            {
                logging.AddSimpleConsole();
            }
        });
        builder.ConfigureServices(services => services.AddSingleton<HostConsole>(Console));
        if (ConfigureTestServices is { } configure)
        {
            builder.ConfigureServices(configure);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(DataPath, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; the temp folder is cleaned by the OS.
        }
    }
}

/// <summary>Captures the banner.</summary>
public sealed class CapturingConsole : HostConsole
{
    private readonly StringWriter _writer = new();
    private readonly TextWriter _synchronized;

    public CapturingConsole() => _synchronized = TextWriter.Synchronized(_writer);

    public override TextWriter Out => _synchronized;

    public string Text
    {
        get
        {
            lock (_synchronized)
            {
                return _writer.ToString();
            }
        }
    }
}
