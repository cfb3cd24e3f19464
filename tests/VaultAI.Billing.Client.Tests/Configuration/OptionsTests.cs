using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Client.Tests;

public sealed class OptionsTests
{
    private static void Valid(VaultAIBillingClientOptions o)
    {
        o.BaseAddress = new Uri("https://billing.example.com/");
        o.OrganizationId = ClientHarness.DefaultOrganizationId;
        o.OrganizationName = "Acme";
        o.InstanceUrl = "acme.example.com";
        o.SpoolDirectory = Path.Combine(Path.GetTempPath(), "vaultai-billing-options-test");
    }

    private static async Task<OptionsValidationException> StartFailsAsync(Action<VaultAIBillingClientOptions> configure)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new());
        builder.Services.AddSingleton<IActiveUserCounter>(new TestUserCounter());
        builder.Services.AddVaultAIBillingClient(o =>
        {
            Valid(o);
            configure(o);
        });
        using var host = builder.Build();
        return await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
    }

    [Theory]
    [InlineData("http://billing.example.com/")]
    [InlineData("ftp://billing.example.com/")]
    public async Task Validation_BaseAddressNotHttps_NamesTheSetting(string address)
    {
        var ex = await StartFailsAsync(o => o.BaseAddress = new Uri(address));

        Assert.Contains("VaultAI:BillingClient:BaseAddress must be an absolute https URL", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validation_BaseAddressMissing_NamesTheSetting()
    {
        var ex = await StartFailsAsync(o => o.BaseAddress = null);

        Assert.Contains("VaultAI:BillingClient:BaseAddress is required", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validation_OrganizationMissingAndNoProvider_NamesEachSetting()
    {
        var ex = await StartFailsAsync(o =>
        {
            o.OrganizationId = null;
            o.OrganizationName = " ";
            o.InstanceUrl = null;
        });

        Assert.Contains("VaultAI:BillingClient:OrganizationId is required", ex.Message, StringComparison.Ordinal);
        Assert.Contains("VaultAI:BillingClient:OrganizationName is required", ex.Message, StringComparison.Ordinal);
        Assert.Contains("VaultAI:BillingClient:InstanceUrl is required", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Active Users", "VaultAI:BillingClient:Metric")]
    [InlineData("-", "VaultAI:BillingClient:Metric")]
    public async Task Validation_BadMetric_NamesTheSetting(string metric, string expected)
    {
        var ex = await StartFailsAsync(o => o.Metric = metric);

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "00:01:00", "VaultAI:BillingClient:UsageBatchSize must be between 1 and 1000")]
    [InlineData(1001, "00:01:00", "VaultAI:BillingClient:UsageBatchSize must be between 1 and 1000")]
    [InlineData(500, "00:00:00.500", "VaultAI:BillingClient:UsageFlushInterval must be between 00:00:01 and 1.00:00:00")]
    [InlineData(500, "1.00:00:01", "VaultAI:BillingClient:UsageFlushInterval must be between 00:00:01 and 1.00:00:00")]
    public async Task Validation_BadUsageEventSettings_NameTheirSettings(int batchSize, string interval, string expected)
    {
        var ex = await StartFailsAsync(o =>
        {
            o.UsageBatchSize = batchSize;
            o.UsageFlushInterval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture);
        });

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validation_NegativeUsageCacheLifetime_NamesTheSetting()
    {
        var ex = await StartFailsAsync(o => o.UsageCacheLifetime = TimeSpan.FromSeconds(-1));

        Assert.Contains("VaultAI:BillingClient:UsageCacheLifetime must not be negative", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validation_BadDurations_NameTheirSettings()
    {
        var ex = await StartFailsAsync(o =>
        {
            o.MaxRandomDelay = TimeSpan.FromMinutes(-1);
            o.RequestTimeout = TimeSpan.Zero;
            o.MaxRetryAttempts = 50;
        });

        Assert.Contains("VaultAI:BillingClient:MaxRandomDelay", ex.Message, StringComparison.Ordinal);
        Assert.Contains("VaultAI:BillingClient:RequestTimeout", ex.Message, StringComparison.Ordinal);
        Assert.Contains("VaultAI:BillingClient:MaxRetryAttempts", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validation_RequestTimeoutBelowWhatTheResilienceHandlerAccepts_FailsAtStart()
    {
        var ex = await StartFailsAsync(o => o.RequestTimeout = TimeSpan.FromMilliseconds(5));

        Assert.Contains("VaultAI:BillingClient:RequestTimeout must be between 00:00:00.010 and 00:10:00", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validation_HttpLoopbackAndProviderInsteadOfSettings_IsAccepted()
    {
        var services = new ServiceCollection();
        services.AddVaultAIBillingClient(o =>
        {
            o.BaseAddress = new Uri("http://127.0.0.1:5000/");
            o.SpoolDirectory = "/tmp/vaultai-billing-options-test";
        }).AddOrganizationInfoProvider<FixedOrganizationProvider>();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<VaultAIBillingClientOptions>>().Value;

        Assert.Equal(new Uri("http://127.0.0.1:5000/"), options.BaseAddress);
    }

    [Fact]
    public void AddVaultAIBillingClient_ConfigurationSection_BindsEverySetting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["VaultAI:BillingClient:BaseAddress"] = "https://billing.example.com/",
            ["VaultAI:BillingClient:OrganizationId"] = ClientHarness.DefaultOrganizationId.ToString(),
            ["VaultAI:BillingClient:OrganizationName"] = "Acme",
            ["VaultAI:BillingClient:InstanceUrl"] = "acme.example.com",
            ["VaultAI:BillingClient:ReportTimeOfDay"] = "02:15",
            ["VaultAI:BillingClient:MaxRandomDelay"] = "00:10:00",
            ["VaultAI:BillingClient:SpoolDirectory"] = "/var/lib/vaultai/billing",
            ["VaultAI:BillingClient:RequestTimeout"] = "00:00:20",
            ["VaultAI:BillingClient:StatusCacheLifetime"] = "00:01:00",
            ["VaultAI:BillingClient:EnrollmentKey"] = "enroll-key",
            ["VaultAI:BillingClient:MaxRetryAttempts"] = "2",
            ["VaultAI:BillingClient:Metric"] = "seats",
        }).Build();
        var services = new ServiceCollection();
        services.AddVaultAIBillingClient(configuration.GetSection(VaultAIBillingClientOptions.SectionName));
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<VaultAIBillingClientOptions>>().Value;

        Assert.Equal(new TimeOnly(2, 15), options.ReportTimeOfDay);
        Assert.Equal(TimeSpan.FromMinutes(10), options.MaxRandomDelay);
        Assert.Equal("/var/lib/vaultai/billing", options.SpoolDirectory);
        Assert.Equal(TimeSpan.FromSeconds(20), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromMinutes(1), options.StatusCacheLifetime);
        Assert.Equal("enroll-key", options.EnrollmentKey);
        Assert.Equal(2, options.MaxRetryAttempts);
        Assert.Equal("seats", options.Metric);
        Assert.Equal(ClientHarness.DefaultOrganizationId, options.OrganizationId);
    }

    [Fact]
    public void Defaults_AreDocumentedValuesAndSpoolUnderLocalAppData()
    {
        var services = new ServiceCollection();
        services.AddVaultAIBillingClient(o =>
        {
            o.BaseAddress = new Uri("https://billing.example.com/");
            o.OrganizationId = ClientHarness.DefaultOrganizationId;
            o.OrganizationName = "Acme";
            o.InstanceUrl = "acme.example.com";
        });
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<VaultAIBillingClientOptions>>().Value;

        Assert.Equal(new TimeOnly(3, 0), options.ReportTimeOfDay);
        Assert.Equal(TimeSpan.FromMinutes(30), options.MaxRandomDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromMinutes(5), options.StatusCacheLifetime);
        Assert.Equal(4, options.MaxRetryAttempts);
        Assert.Equal("active_users", options.Metric);
        Assert.Equal("vaultai-billing", Path.GetFileName(options.SpoolDirectory));
        Assert.Equal(500, options.UsageBatchSize);
        Assert.Equal(TimeSpan.FromMinutes(1), options.UsageFlushInterval);
        Assert.Equal(TimeSpan.FromMinutes(1), options.UsageCacheLifetime);
    }

    [Fact]
    public void AddVaultAIBillingClient_CalledTwice_RegistersHandlersAndReporterOnce()
    {
        var once = new ServiceCollection();
        once.AddVaultAIBillingClient(Valid);
        var twice = new ServiceCollection();
        twice.AddVaultAIBillingClient(Valid);
        twice.AddVaultAIBillingClient(o => o.Metric = "seats");
        using var onceProvider = once.BuildServiceProvider();
        using var twiceProvider = twice.BuildServiceProvider();

        int HandlerActions(IServiceProvider sp) =>
            sp.GetRequiredService<IOptionsMonitor<HttpClientFactoryOptions>>().Get(BillingClient.HttpClientName).HttpMessageHandlerBuilderActions.Count;

        Assert.Equal(HandlerActions(onceProvider), HandlerActions(twiceProvider));
        Assert.Single(twiceProvider.GetServices<IHostedService>().OfType<DailyUsageReporter>());
        Assert.Single(twiceProvider.GetServices<IHostedService>().OfType<UsageEventFlusher>());
        Assert.Same(twiceProvider.GetRequiredService<IUsageRecorderClient>(), twiceProvider.GetRequiredService<IUsageRecorderClient>());
        Assert.Equal("seats", twiceProvider.GetRequiredService<IOptions<VaultAIBillingClientOptions>>().Value.Metric);
    }

    private sealed class FixedOrganizationProvider : IOrganizationInfoProvider
    {
        public ValueTask<OrganizationInfo> GetOrganizationInfoAsync(CancellationToken cancellationToken) =>
            ValueTask.FromResult(new OrganizationInfo(ClientHarness.DefaultOrganizationId, "Acme", "acme.example.com"));
    }
}
