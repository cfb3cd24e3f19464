using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace VaultAI.Billing.Client.Tests;

/// <summary>An instance process: a generic host with the billing client pointed at a contract test host and a spool folder.</summary>
internal sealed class ClientHarness : IAsyncDisposable
{
    public static readonly Guid DefaultOrganizationId = Guid.Parse("6f1d8a52-3c9e-4b7a-9d11-2f5e8c0b7a31");

    private ClientHarness(IHost host, TestUserCounter counter, FakeLogCollector logs)
    {
        Host = host;
        Counter = counter;
        Logs = logs;
    }

    public IHost Host { get; }

    public TestUserCounter Counter { get; }

    public FakeLogCollector Logs { get; }

    public IServiceProvider Services => Host.Services;

    public IVaultAIBillingClient Client => Services.GetRequiredService<IVaultAIBillingClient>();

    public ReportDispatcher Dispatcher => Services.GetRequiredService<ReportDispatcher>();

    public UsageSpool Spool => Services.GetRequiredService<UsageSpool>();

    public IUsageRecorderClient Usage => Services.GetRequiredService<IUsageRecorderClient>();

    public UsageEventSpool EventSpool => Services.GetRequiredService<UsageEventSpool>();

    public ReporterActivity Activity => Services.GetRequiredService<ReporterActivity>();

    public IBillingTokenStore TokenStore => Services.GetRequiredService<IBillingTokenStore>();

    public static BillingClientTuning FastTuning(int seed = 42) => new()
    {
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        RetryMaxDelay = TimeSpan.FromMilliseconds(20),
        ResilienceTimeProvider = TimeProvider.System,
        BreakerMinimumThroughput = 1000,
        SpoolRetryMinDelay = TimeSpan.FromMinutes(1),
        SpoolRetryMaxDelay = TimeSpan.FromHours(1),
        Random = new Random(seed),
    };

    public static ClientHarness Create(
        Uri baseAddress,
        string spoolDirectory,
        TimeProvider? clock = null,
        BillingClientTuning? tuning = null,
        Action<VaultAIBillingClientOptions>? configure = null,
        TestUserCounter? counter = null)
    {
        counter ??= new TestUserCounter();
        var logs = new FakeLoggerProvider();
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSingleton(clock ?? TimeProvider.System);
        builder.Services.AddSingleton(tuning ?? FastTuning());
        builder.Services.AddSingleton<IActiveUserCounter>(counter);
        builder.Services.AddVaultAIBillingClient(o =>
        {
            o.BaseAddress = baseAddress;
            o.OrganizationId = DefaultOrganizationId;
            o.OrganizationName = "Acme";
            o.InstanceUrl = "acme.example.com";
            o.SpoolDirectory = spoolDirectory;
            o.MaxRetryAttempts = 3;
            o.RequestTimeout = TimeSpan.FromSeconds(5);
            configure?.Invoke(o);
        });
        return new ClientHarness(builder.Build(), counter, logs.Collector);
    }

    public Task StartAsync() => Host.StartAsync();

    /// <summary>Moves fake time to each of the reporter's wake-ups until the condition holds or fake time passes <paramref name="until"/>.</summary>
    public async Task RunReporterUntilAsync(FakeTimeProvider clock, Func<bool> done, DateTimeOffset until, int maxCycles = 500)
    {
        for (var i = 0; i < maxCycles && !done() && clock.GetUtcNow() < until; i++)
        {
            var cycles = Activity.Cycles;
            var wake = Activity.NextWakeAt;
            clock.AdvanceTo(wake < until ? wake : until);
            if (wake <= until)
            {
                await Activity.WaitForIdleAsync(cycles, TimeSpan.FromSeconds(20));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Host.StopAsync(TimeSpan.FromSeconds(5));
        }
        finally
        {
            Host.Dispose();
        }
    }
}

internal sealed class TestUserCounter : IActiveUserCounter
{
    private int _calls;

    public long Count { get; set; } = 45;

    public int Calls => _calls;

    public ValueTask<long> CountActiveUsersAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return ValueTask.FromResult(Count);
    }
}

/// <summary>A temp folder per test, removed afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("vaultai-billing-client-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
