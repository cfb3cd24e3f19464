using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using VaultAI.Billing;

namespace BillingHost.Hosting;

/// <summary>
/// OpenTelemetry: the library's <c>VaultAI.Billing</c> meter and activity source with ASP.NET Core, HttpClient and runtime
/// instrumentation; Prometheus at <c>/metrics</c> (admin only unless <c>VaultAI:Host:Telemetry:AnonymousMetrics</c> is
/// true); OTLP only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
public static class Telemetry
{
    /// <summary>The setting that opens <c>/metrics</c> to anyone (for a scraper on a private network).</summary>
    public const string AnonymousMetricsSetting = "VaultAI:Host:Telemetry:AnonymousMetrics";

    private const string BillingSource = "VaultAI.Billing";

    /// <summary>Adds the meters, traces and exporters; a malformed setting stops the start with its name.</summary>
    public static void AddBillingTelemetry(this WebApplicationBuilder builder)
    {
        _ = AnonymousMetrics(builder.Configuration);
        var telemetry = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddMeter(BillingSource)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddSource(BillingSource)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation());
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }
    }

    /// <summary>Maps the Prometheus scraping endpoint at <c>/metrics</c>, behind the admin policy unless opened.</summary>
    public static WebApplication MapBillingMetrics(this WebApplication app)
    {
        var endpoint = app.MapPrometheusScrapingEndpoint("/metrics");
        if (AnonymousMetrics(app.Configuration))
        {
            endpoint.AllowAnonymous();
        }
        else
        {
            endpoint.RequireAuthorization(app.Services.GetRequiredService<IOptions<VaultAIBillingOptions>>().Value.AdminPolicy);
        }

        return app;
    }

    private static bool AnonymousMetrics(IConfiguration configuration)
    {
        var text = configuration[AnonymousMetricsSetting];
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        return bool.TryParse(text, out var value)
            ? value
            : throw new HostConfigurationException($"{AnonymousMetricsSetting} must be true or false (it is '{text}').");
    }
}
