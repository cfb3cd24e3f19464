using BillingHost.Provisioning;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Stripe;
using VaultAI.Billing.Stripe;
using StripeClientOptions = VaultAI.Billing.Stripe.StripeClientOptions;
using VaultAI.Billing.Testing;

namespace BillingHost.Hosting;

/// <summary>
/// The Stripe emulator running inside the host in embedded mode, with the catalog provisioned on it. The container
/// owns it; it stops, saving its account, when the host has stopped.
/// </summary>
/// <remarks>
/// The stop is done in the host's stop phase, not only at the container's disposal: a host run by <c>RunAsync</c> and
/// stopped by someone else (WebApplicationFactory) is disposed twice at once, and the second disposal returns before
/// the first has finished, so whoever waits on it could read the state file before the last save. Every caller of
/// <see cref="IHost.StopAsync"/> waits for the stop.
/// </remarks>
public sealed class EmbeddedStripe : IAsyncDisposable, IHostedLifecycleService
{
    private readonly ILoggerFactory? _loggerFactory;

    private EmbeddedStripe(StripeEmulator emulator, ProvisioningResult catalog, ILoggerFactory? loggerFactory)
    {
        Emulator = emulator;
        Catalog = catalog;
        _loggerFactory = loggerFactory;
    }

    /// <summary>The emulator.</summary>
    public StripeEmulator Emulator { get; }

    /// <summary>The provisioned catalog.</summary>
    public ProvisioningResult Catalog { get; }

    /// <summary>The file the emulator keeps its account in, inside the host's data folder.</summary>
    public const string StateFileName = "stripe-emulator.json";

    /// <summary>
    /// Starts an emulator that follows real time and provisions a catalog on it with the same code as <c>setup-stripe</c>
    /// (which reuses what a kept account already has).
    /// </summary>
    /// <param name="catalog">The catalog to provision; the default (<c>vaultai</c>) when <see langword="null"/>.</param>
    /// <param name="dataPath">The data folder the account is kept in across restarts (<see cref="StateFileName"/>); <see langword="null"/> keeps it in memory only.</param>
    /// <param name="logging">The host's <c>Logging</c> settings, for the emulator's state file notices (printed to the console: they come before the host's own logging exists).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<EmbeddedStripe> StartAsync(PlanCatalog? catalog = null, string? dataPath = null, IConfiguration? logging = null, CancellationToken cancellationToken = default)
    {
        var loggerFactory = dataPath is null ? null : LoggerFactory.Create(builder =>
        {
            if (logging is not null)
            {
                builder.AddConfiguration(logging);
            }

            builder.AddSimpleConsole(console => console.SingleLine = true);
        });
        var logger = loggerFactory?.CreateLogger("BillingHost.EmbeddedStripe");
        var emulator = await StripeEmulator.StartAsync(
            new StripeEmulatorOptions
            {
                FollowRealTime = true,

                // The dashboard's test clock panel moves the emulator ahead; the host checks signatures against real time, as with Stripe.
                WebhookSignatureClock = TimeProvider.System,
                StatePath = dataPath is null ? null : Path.Combine(dataPath, StateFileName),
                Logger = logger,
            },
            cancellationToken);
        try
        {
            var provisioned = await StripeClients.UseAsync(
                options =>
                {
                    options.ApiKey = emulator.ApiKey;
                    options.ApiBase = emulator.BaseAddress;
                    options.MeterEventsBase = emulator.BaseAddress;
                },
                stripe => new StripeCatalogProvisioner(stripe).ProvisionAsync(catalog, cancellationToken: cancellationToken));
            return new EmbeddedStripe(emulator, provisioned, loggerFactory);
        }
        catch
        {
            await emulator.DisposeAsync();
            loggerFactory?.Dispose();
            throw;
        }
    }

    /// <summary>The settings that point the billing library at the emulator and define the plan catalog.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ToConfiguration()
    {
        yield return new(HostMode.StripeApiKeySetting, Emulator.ApiKey);
        yield return new("VaultAI:Billing:Stripe:ApiBase", Emulator.BaseAddress.ToString());
        yield return new("VaultAI:Billing:Stripe:MeterEventsBase", Emulator.BaseAddress.ToString());
        yield return new("VaultAI:Billing:Webhooks:Secrets:0", Emulator.WebhookSecret);
        foreach (var (key, value) in Catalog.ToConfiguration())
        {
            yield return new(key, value);
        }
    }

    /// <summary>Sends the emulator's webhooks to this host's <c>/api/stripe/webhook</c>, once the host listens on a real address.</summary>
    /// <returns>The webhook URL, or <see langword="null"/> when the server has no network address (an in-memory test server).</returns>
    public Uri? ConnectWebhooks(IServer server)
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses
            .Select(a => Uri.TryCreate(a.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal), UriKind.Absolute, out var uri) ? uri : null)
            .FirstOrDefault(u => u is not null && u.Scheme == Uri.UriSchemeHttp && u.Port > 0);
        if (address is null)
        {
            return null;
        }

        var webhook = new Uri(address, "/api/stripe/webhook");
        Emulator.AddWebhookEndpoint(webhook);
        return webhook;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Emulator.DisposeAsync();
        _loggerFactory?.Dispose();
    }

    Task IHostedService.StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedLifecycleService.StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedLifecycleService.StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedLifecycleService.StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // After every hosted service (the billing dispatcher, webhook retries) has stopped calling the emulator.
    Task IHostedLifecycleService.StoppedAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();
}

/// <summary>Runs code with a short-lived Stripe client built outside the host's container (commands, embedded start).</summary>
public static class StripeClients
{
    /// <summary>Builds a Stripe client with <paramref name="configure"/>, runs <paramref name="use"/>, and disposes the client.</summary>
    public static async Task<T> UseAsync<T>(Action<StripeClientOptions> configure, Func<StripeClient, Task<T>> use)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddVaultAIStripeClient(configure);
        await using var provider = services.BuildServiceProvider();
        return await use(provider.GetRequiredService<StripeClient>());
    }
}
