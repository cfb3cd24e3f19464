using System.Globalization;
using BillingHost.Admin;
using BillingHost.Hosting;
using BillingHost.Provisioning;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using VaultAI.Billing;
using VaultAI.Billing.EntityFramework;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Stripe;

namespace BillingHost.Commands;

/// <summary>The host's commands: <c>dotnet run --project samples/BillingHost -- &lt;command&gt;</c>.</summary>
public static class HostCommands
{
    /// <summary>Whether the arguments start with a command name rather than settings.</summary>
    public static bool IsCommand(string[] args) => args.Length > 0 && !args[0].StartsWith('-') && !args[0].Contains('=', StringComparison.Ordinal);

    /// <summary>Whether the arguments ask for the list of commands (<c>help</c>, <c>--help</c>, <c>-h</c>).</summary>
    public static bool IsHelp(string[] args) => args.Length > 0 && args[0] is "help" or "--help" or "-h" or "-?";

    /// <summary>Prints the commands.</summary>
    public static void PrintHelp(TextWriter output)
    {
        output.WriteLine("Usage: dotnet run --project samples/BillingHost [-- <command> [options]]  (no command: start the host)");
        output.WriteLine(Commands);
    }

    /// <summary>Runs a command; returns the process exit code (0, 1 for a failure, 2 for a usage error).</summary>
    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, string contentRoot, TextWriter output, TextReader? input = null)
    {
        try
        {
            return args[0] switch
            {
                "setup-stripe" => await SetupStripeAsync(args, configuration, contentRoot, output),
                "migrate" => await MigrateAsync(configuration, contentRoot, output),
                "replay-webhooks" => await ReplayWebhooksAsync(args, configuration, output),
                "hash-password" => HashPassword(args, output, input ?? Console.In),
                "generate-api-key" => GenerateApiKey(output),
                "seed-demo" => await SeedDemoCommand.RunAsync(configuration, contentRoot, output),
                "help" => Help(output),
                _ => Usage(output, $"Unknown command '{args[0]}'."),
            };
        }
        catch (UsageException e)
        {
            return Usage(output, "error: " + e.Message);
        }
        catch (Exception e) when (e is HostConfigurationException or OptionsValidationException or global::Stripe.StripeException or HttpRequestException or Polly.Timeout.TimeoutRejectedException or ArgumentException or System.Data.Common.DbException)
        {
            await output.WriteLineAsync("error: " + StartupFailure.Describe(e));
            return 1;
        }
    }

    private static int Help(TextWriter output)
    {
        PrintHelp(output);
        return 0;
    }

    private static int Usage(TextWriter output, string problem)
    {
        output.WriteLine(problem);
        output.WriteLine(Commands);
        return 2;
    }

    private const string Commands = """
            Commands:
              setup-stripe [--catalog saas] [--currency eur]
                                                create (or find) the catalog's meters, products and prices in Stripe
                                                (VaultAI:Host:Catalog, default vaultai); print the settings
              migrate                           create or upgrade the billing schema, then exit
              replay-webhooks --since <time>    apply Stripe events since an ISO 8601 time that were missed (production)
              hash-password [--user admin]      read a password on standard input and print its hash for VaultAI:Host:Admins
              generate-api-key                  print a new admin API key and its hash for VaultAI:Host:AdminApiKeyHashes
              seed-demo                         embedded demo: create organizations (pending, free, trialing, active) on the
                                                selected catalog with three weeks of usage; a second run changes nothing
              help                              print this list
            """;

    private static async Task<int> SetupStripeAsync(string[] args, IConfiguration configuration, string contentRoot, TextWriter output)
    {
        var section = configuration.GetSection(StripeClientOptions.SectionName);
        if (string.IsNullOrWhiteSpace(section["ApiKey"]))
        {
            throw new HostConfigurationException($"{StripeClientOptions.SectionName}:ApiKey must be set (environment variable VaultAI__Billing__Stripe__ApiKey=sk_...) for setup-stripe.");
        }

        var currency = Option(args, "--currency");
        var catalog = Option(args, "--catalog") is { } chosen ? PlanCatalog.Load(chosen, contentRoot) : PlanCatalog.Load(configuration, contentRoot);
        var result = await StripeClients.UseAsync(options => section.Bind(options), stripe => new StripeCatalogProvisioner(stripe).ProvisionAsync(catalog, currency));
        await output.WriteLineAsync($"Catalog {result.Catalog}");
        foreach (var (eventName, meterId) in result.MeterIds.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            await output.WriteLineAsync($"Meter {eventName}: {meterId}");
        }

        foreach (var plan in result.Plans)
        {
            await output.WriteLineAsync(plan.ProductId.Length == 0
                ? $"Plan {plan.Key}: free, nothing in Stripe"
                : $"Plan {plan.Key}: product {plan.ProductId}, monthly {plan.MonthlyPriceId ?? "-"}, yearly {plan.YearlyPriceId ?? "-"}");
        }

        await output.WriteLineAsync($"Created {result.Created} object(s); everything else already existed.");
        await output.WriteLineAsync();
        await output.WriteLineAsync("# Environment variables (plan keys contain '-': set them with env, a Docker env file or systemd, not bash export):");
        await output.WriteAsync(result.ToEnvironmentVariables());
        await output.WriteLineAsync();
        await output.WriteLineAsync("// appsettings.Production.json");
        await output.WriteLineAsync(result.ToJson());
        return 0;
    }

    private static async Task<int> MigrateAsync(IConfiguration configuration, string contentRoot, TextWriter output)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        string target;
        if (HostMode.IsProduction(configuration))
        {
            var connectionString = HostValidation.RequireConnectionString(configuration);
            services.AddVaultAIBilling().AddEntityFrameworkStore(options => options.UseNpgsql(connectionString));
            target = "PostgreSQL";
        }
        else
        {
            var dataPath = Path.GetFullPath(Path.Combine(contentRoot, configuration[$"{BillingHostOptions.SectionName}:DataPath"] ?? "data"));
            Directory.CreateDirectory(dataPath);
            var path = Path.Combine(dataPath, "billing.db");
            services.AddVaultAIBilling().AddEntityFrameworkStore(options => options.UseSqlite($"Data Source={path}"));
            target = "SQLite " + path;
        }

        await using var provider = services.BuildServiceProvider();
        await BillingDatabase.MigrateAsync(provider);
        await output.WriteLineAsync($"The billing schema is current ({target}).");
        return 0;
    }

    private static async Task<int> ReplayWebhooksAsync(string[] args, IConfiguration configuration, TextWriter output)
    {
        var sinceText = Option(args, "--since")
            ?? throw new UsageException("replay-webhooks needs --since <ISO 8601 time>, for example --since 2026-11-20T00:00:00Z.");
        if (!DateTimeOffset.TryParse(sinceText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var since))
        {
            throw new UsageException($"--since '{sinceText}' is not an ISO 8601 time such as 2026-11-20T00:00:00Z.");
        }

        if (!HostMode.IsProduction(configuration))
        {
            throw new HostConfigurationException("replay-webhooks works on the production database and Stripe account: set ConnectionStrings:Billing and VaultAI:Billing:Stripe:ApiKey.");
        }

        var connectionString = HostValidation.RequireConnectionString(configuration);
        HostValidation.RequireStripeKey(configuration);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddVaultAIBilling(configuration.GetSection(VaultAIBillingOptions.SectionName)).AddEntityFrameworkStore(options => options.UseNpgsql(connectionString));
        await using var provider = services.BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<BillingAdministration>().ReplayWebhooksAsync(since);
        await output.WriteLineAsync(
            $"Replayed Stripe events since {since.ToString("O", CultureInfo.InvariantCulture)}: {result.Listed} listed, {result.Processed} applied, " +
            $"{result.Ignored} ignored, {result.AlreadyKnown} already known, {result.Failed} failed.");
        return result.Failed > 0 ? 1 : 0;
    }

    private static int HashPassword(string[] args, TextWriter output, TextReader input)
    {
        var user = Option(args, "--user") ?? "admin";
        var password = input.ReadLine();
        if (string.IsNullOrEmpty(password) || password.Length < 12)
        {
            output.WriteLine("error: type a password of at least 12 characters on standard input, for example: echo 'my long passphrase' | dotnet run --project samples/BillingHost -- hash-password");
            return 1;
        }

        var hash = AdminCredentials.HashPassword(user, password);
        output.WriteLine(hash);
        output.WriteLine();
        output.WriteLine($"VaultAI__Host__Admins__{user}__PasswordHash={hash}");
        return 0;
    }

    private static int GenerateApiKey(TextWriter output)
    {
        var key = AdminCredentials.NewApiKey();
        output.WriteLine("API key (give it to the automation; it is not stored): " + key);
        output.WriteLine("VaultAI__Host__AdminApiKeyHashes__0=" + AdminCredentials.HashApiKey(key));
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == name && i + 1 < args.Length)
            {
                return args[i + 1];
            }

            if (args[i].StartsWith(name + "=", StringComparison.Ordinal))
            {
                return args[i][(name.Length + 1)..];
            }
        }

        return null;
    }
}

/// <summary>A command called with missing or malformed arguments (exit code 2, with the list of commands).</summary>
internal sealed class UsageException(string message) : Exception(message);
