using InstanceDemo.Demo;
using VaultAI.Billing.Client;

namespace InstanceDemo;

/// <summary>
/// A VaultAI instance in miniature: a few users, an "AI" feature that spends tokens, and a Billing page for the
/// instance's admin. Everything billing goes through <c>VaultAI.Billing.Client</c>, outbound to the billing host.
/// </summary>
public static class DemoApp
{
    /// <summary>The metric the "Use AI" button records, and how much one press spends.</summary>
    public const string AiMetric = "ai_tokens";

    /// <summary>The tokens one press of "Use AI" records.</summary>
    public const int TokensPerAiRequest = 1500;

    /// <summary>Builds the app; <paramref name="args"/> override any setting (<c>--VaultAI:BillingClient:BaseAddress=...</c>).</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <returns>The app, not started.</returns>
    public static WebApplication Build(string[] args)
    {
        // The application name points Razor Pages at this assembly, also when a test hosts the app in its own process.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ApplicationName = typeof(DemoApp).Assembly.GetName().Name });

        builder.Services.AddRazorPages();
        builder.Services.Configure<RouteOptions>(routes => routes.LowercaseUrls = true);
        builder.Services.Configure<DemoOptions>(builder.Configuration.GetSection("InstanceDemo"));
        builder.Services.AddSingleton<DemoUsers>();
        builder.Services
            .AddVaultAIBillingClient(builder.Configuration.GetSection("VaultAI:BillingClient"))
            .AddActiveUserCounter<DemoActiveUserCounter>();

        // Keep the token and the usage spool beside the app unless configured otherwise.
        var spool = Path.Combine(builder.Environment.ContentRootPath, "data");
        builder.Services.PostConfigure<VaultAIBillingClientOptions>(options =>
        {
            if (string.IsNullOrWhiteSpace(builder.Configuration["VaultAI:BillingClient:SpoolDirectory"]))
            {
                options.SpoolDirectory = spool;
            }
        });
        builder.Services.AddHostedService<RegisterAtStart>();

        var app = builder.Build();
        app.UseStatusCodePages();
        app.UseRouting();
        app.UseAntiforgery();
        app.MapRazorPages();
        return app;
    }
}
