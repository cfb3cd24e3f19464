using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Stripe;
using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Tests.Stripe;

public sealed class StripeClientOptionsTests
{
    private static StripeClientOptions Valid() => new() { ApiKey = "sk_test_fake_0123" };

    private static string[] Failures(StripeClientOptions options) =>
        new StripeClientOptionsValidator().Validate(null, options).Failures?.ToArray() ?? [];

    [Fact]
    public void Validate_Defaults_WithKey_Succeed()
    {
        Assert.Empty(Failures(Valid()));
        Assert.Empty(Failures(new StripeClientOptions { ApiKey = "rk_live_fake_0123" }));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("pk_test_123")]
    [InlineData("whsec_123")]
    [InlineData("sk_test_ with space")]
    public void Validate_BadApiKey_NamesTheSetting(string? key)
    {
        var failure = Assert.Single(Failures(new StripeClientOptions { ApiKey = key }));

        Assert.Equal("VaultAI:Billing:Stripe:ApiKey must be set to a Stripe secret key (sk_... or rk_...).", failure);
    }

    [Theory]
    [InlineData("2026-10-28.endive", true)]
    [InlineData("2024-06-20", true)]
    [InlineData("2025-03-31.basil", true)]
    [InlineData("latest", false)]
    [InlineData("2026-10-28.", false)]
    [InlineData("26-10-28", false)]
    public void Validate_ApiVersion_AcceptsDateWithOptionalName(string version, bool valid)
    {
        var options = Valid();
        options.ApiVersion = version;

        var failures = Failures(options);

        if (valid)
        {
            Assert.Empty(failures);
        }
        else
        {
            Assert.StartsWith("VaultAI:Billing:Stripe:ApiVersion", Assert.Single(failures), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(11)]
    public void Validate_MaxRetriesOutOfRange_NamesTheSetting(int retries)
    {
        var options = Valid();
        options.MaxRetries = retries;

        Assert.StartsWith("VaultAI:Billing:Stripe:MaxRetries must be between 0 and 10", Assert.Single(Failures(options)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://api.stripe.com")]
    [InlineData("/relative")]
    public void Validate_ApiBaseNotAbsoluteHttp_NamesTheSetting(string uri)
    {
        var options = Valid();
        options.ApiBase = new Uri(uri, UriKind.RelativeOrAbsolute);

        Assert.StartsWith("VaultAI:Billing:Stripe:ApiBase must be an absolute http(s) URI", Assert.Single(Failures(options)), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NonPositiveTimeout_NamesTheSetting()
    {
        var options = Valid();
        options.Timeout = TimeSpan.Zero;

        Assert.StartsWith("VaultAI:Billing:Stripe:Timeout", Assert.Single(Failures(options)), StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_NeverPrintsTheKey()
    {
        var options = new StripeClientOptions { ApiKey = "sk_test_fake_secret_value" };

        var text = options.ToString();

        Assert.DoesNotContain("sk_test_fake_secret_value", text, StringComparison.Ordinal);
        Assert.Contains("(redacted)", text, StringComparison.Ordinal);
        Assert.Contains("2026-10-28.endive", text, StringComparison.Ordinal);
    }

    [Fact]
    public void AddVaultAIStripeClient_MissingKey_FailsWhenOptionsAreResolved()
    {
        var services = new ServiceCollection();
        services.AddVaultAIStripeClient();
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStripeClient>());

        Assert.Contains("VaultAI:Billing:Stripe:ApiKey must be set", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddVaultAIStripeClient_CalledTwice_RegistersOneClientThatWorks()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.EnqueueJson(StripeJson.Customer());
        var services = new ServiceCollection();
        services.AddVaultAIStripeClient(o =>
        {
            o.ApiKey = FakeStripeServer.ApiKey;
            o.ApiBase = server.BaseAddress;
        });
        services.AddVaultAIStripeClient(o => o.ApiVersion = "2025-03-31.basil");
        using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IStripeClient>();
        var customer = await client.GetCustomerAsync("cus_123");

        Assert.Single(services, d => d.ServiceType == typeof(IStripeClient));
        Assert.Single(services, d => d.ServiceType == typeof(TimeProvider));
        Assert.Equal("cus_123", customer.Id);
        Assert.Equal("2025-03-31.basil", Assert.Single(server.Requests).Header("Stripe-Version"));
    }

    [Fact]
    public async Task AddVaultAIStripeClient_WithMeterFactory_RecordsRequestMetrics()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.Enqueue(ScriptedResponse.Error(500, "api_error"), ScriptedResponse.Json(StripeJson.Customer()));
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddVaultAIStripeClient(o =>
        {
            o.ApiKey = FakeStripeServer.ApiKey;
            o.ApiBase = server.BaseAddress;
            o.InitialRetryDelay = TimeSpan.FromMilliseconds(1);
        });
        using var provider = services.BuildServiceProvider();
        var meterFactory = provider.GetRequiredService<IMeterFactory>();
        var recorded = new List<(string Instrument, string Operation, string Outcome)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "VaultAI.Billing" && instrument.Meter.Scope == meterFactory)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, _, tags, _) => Record(i, tags));
        listener.SetMeasurementEventCallback<double>((i, _, tags, _) => Record(i, tags));
        listener.Start();

        await provider.GetRequiredService<IStripeClient>().GetCustomerAsync("cus_123");

        Assert.Equal(
            [
                ("vaultai.billing.stripe.requests", "GetCustomer", "retry"),
                ("vaultai.billing.stripe.request.duration", "GetCustomer", "retry"),
                ("vaultai.billing.stripe.requests", "GetCustomer", "success"),
                ("vaultai.billing.stripe.request.duration", "GetCustomer", "success"),
            ],
            recorded);

        void Record(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? operation = null, outcome = null;
            foreach (var tag in tags)
            {
                operation = tag.Key == "operation" ? (string?)tag.Value : operation;
                outcome = tag.Key == "outcome" ? (string?)tag.Value : outcome;
            }

            lock (recorded)
            {
                recorded.Add((instrument.Name, operation!, outcome!));
            }
        }
    }

    [Fact]
    public async Task Logs_NameOperationStatusAndRequestId_ButNeverKeyOrBody()
    {
        await using var server = await FakeStripeServer.StartAsync();
        server.Enqueue(
            ScriptedResponse.Error(500, "api_error"),
            ScriptedResponse.Json(StripeJson.Customer()),
            ScriptedResponse.Error(400, "invalid_request_error", "parameter_unknown", "Received unknown parameter: " + FakeStripeServer.ApiKey));
        using var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var client = server.CreateClient(logger: factory.CreateLogger("Stripe"));

        await client.CreateCustomerAsync(new CustomerCreateOptions { Email = "secret-body@example.com" });
        await Assert.ThrowsAsync<StripeApiException>(() => client.GetCustomerAsync("cus_1"));

        var all = string.Join("\n", logs.Messages);
        Assert.Contains("CreateCustomer POST answered 500", all, StringComparison.Ordinal);
        Assert.Contains("req_fake_1", all, StringComparison.Ordinal);
        Assert.Contains("attempt 2", all, StringComparison.Ordinal);
        Assert.Contains("GetCustomer GET failed with 400 invalid_request_error/parameter_unknown", all, StringComparison.Ordinal);
        Assert.DoesNotContain(FakeStripeServer.ApiKey, all, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-body", all, StringComparison.Ordinal);
    }
}
