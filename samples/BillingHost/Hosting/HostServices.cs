using System.Globalization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using VaultAI.Billing.EntityFramework;
using Stripe;

namespace BillingHost.Hosting;

/// <summary>
/// Creates or migrates the schema at start: always in embedded mode, behind <c>VaultAI:Host:MigrateAtStart</c> in
/// production. In production the host refuses to start when the database does not answer.
/// </summary>
internal sealed partial class DatabaseStartup(
    IServiceProvider services, HostMode mode, IOptions<BillingHostOptions> options, IConfiguration configuration, ILogger<DatabaseStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!mode.Embedded)
        {
            await RequireDatabaseAsync(cancellationToken);
            if (!options.Value.MigrateAtStart)
            {
                return;
            }
        }

        var before = await DescribeSchemaAsync(cancellationToken);
        await BillingDatabase.MigrateAsync(services, cancellationToken);
        LogMigrated(logger, mode.Embedded ? "SQLite" : "PostgreSQL", before);
    }

    /// <summary>What the migration is about to do, so that the log says "created" on a fresh database rather than "current".</summary>
    private async Task<string> DescribeSchemaAsync(CancellationToken cancellationToken)
    {
        if (mode.Embedded)
        {
            return System.IO.File.Exists(mode.SqlitePath) ? "current" : "created";
        }

        var factory = services.GetRequiredService<IDbContextFactory<BillingDbContext>>();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var applied = (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Count();
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count();
        return (applied, pending) switch
        {
            (_, 0) => "current",
            (0, _) => "created",
            _ => string.Create(CultureInfo.InvariantCulture, $"upgraded ({pending} migrations applied)"),
        };
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Opens one connection, outside EF Core so that a refusal is one line rather than logged errors.</summary>
    private async Task RequireDatabaseAsync(CancellationToken cancellationToken)
    {
        var connectionString = HostValidation.RequireConnectionString(configuration);
        try
        {
            await using var connection = new Npgsql.NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or TimeoutException or System.Net.Sockets.SocketException)
        {
            throw new HostConfigurationException(
                $"The billing database ({StartupFailure.DescribeDatabase(connectionString)}) is unreachable: {e.Message.TrimEnd('.')}. " +
                "Start PostgreSQL or fix ConnectionStrings:Billing; the host does not start without its database.");
        }
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Billing schema ({Provider}): {Outcome}")]
    private static partial void LogMigrated(ILogger logger, string provider, string outcome);
}

/// <summary>Once the host listens: connects the embedded emulator's webhooks and prints the banner.</summary>
internal sealed partial class HostBanner(
    IHostApplicationLifetime lifetime, IServer server, HostMode mode, HostConsole console, GeneratedAdminPassword password, IServiceProvider services, ILogger<HostBanner> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(Print);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Print()
    {
        var urls = server.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses ?? [];
        var o = console.Out;
        o.WriteLine();
        o.WriteLine("VaultAI.Billing host");
        o.WriteLine($"  Listening on:   {(urls.Count == 0 ? "(in-memory test server)" : string.Join(", ", urls))}");
        if (!mode.Embedded)
        {
            o.WriteLine("  Mode:           production (PostgreSQL from ConnectionStrings:Billing, Stripe from VaultAI:Billing:Stripe)");
            o.WriteLine("  Dashboard:      sign in with an administrator of VaultAI:Host:Admins");
            o.WriteLine();
            return;
        }

        var embedded = services.GetRequiredService<EmbeddedStripe>();
        var webhook = embedded.ConnectWebhooks(server);
        if (webhook is null)
        {
            LogNoWebhooks(logger);
        }

        o.WriteLine("  Mode:           embedded (no configuration found: demo database and Stripe emulator)");
        o.WriteLine($"  SQLite:         {mode.SqlitePath}");
        o.WriteLine($"  Stripe:         emulator at {mode.EmulatorAddress} (in memory: its customers are forgotten on restart)");
        o.WriteLine($"  Webhooks:       {(webhook is null ? "not connected (no network address)" : webhook.ToString())}");
        o.WriteLine($"  Catalog:        {embedded.Catalog.Catalog} (VaultAI__Host__Catalog=vaultai|saas)");
        o.WriteLine($"  Plans:          {string.Join(", ", embedded.Catalog.Plans.Select(p => p.MonthlyPriceId is null ? p.Key : $"{p.Key} ({p.MonthlyPriceId})"))}");
        var generated = password.Take();
        if (generated is not null)
        {
            o.WriteLine("  Sign in:        user 'admin', password " + generated + "   (shown once; only its hash is kept)");
        }
        else
        {
            o.WriteLine("  Sign in:        with an administrator of VaultAI:Host:Admins");
        }

        o.WriteLine("  Production:     set ConnectionStrings__Billing (PostgreSQL) and VaultAI__Billing__Stripe__ApiKey (sk_...),");
        o.WriteLine("                  VaultAI__Billing__Webhooks__Secrets__0 (whsec_...), the plan price ids printed by 'setup-stripe',");
        o.WriteLine("                  and VaultAI__Host__Admins__<name>__PasswordHash from 'hash-password'. See README.md, Production.");
        o.WriteLine();
        o.Flush();
    }

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "The host has no network address: the Stripe emulator's webhooks are not connected")]
    private static partial void LogNoWebhooks(ILogger logger);
}

/// <summary>Optional readiness check that Stripe answers (<c>VaultAI:Host:CheckStripeWhenReady</c>).</summary>
internal sealed class StripeHealthCheck(IOptionsMonitor<BillingHostOptions> options, StripeClient stripe) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!options.CurrentValue.CheckStripeWhenReady)
        {
            return HealthCheckResult.Healthy("Not checked (VaultAI:Host:CheckStripeWhenReady is off).");
        }

        try
        {
            await stripe.V1.Billing.Meters.ListAsync(new global::Stripe.Billing.MeterListOptions { Limit = 1 }, cancellationToken: cancellationToken);

            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or Polly.Timeout.TimeoutRejectedException or StripeException)
        {
            return HealthCheckResult.Unhealthy("Stripe did not answer.", e);
        }
    }
}
