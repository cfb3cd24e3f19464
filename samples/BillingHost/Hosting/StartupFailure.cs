using System.Data.Common;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Npgsql;

namespace BillingHost.Hosting;

/// <summary>
/// Turns what stops the host or a command into one line naming what to fix, instead of an unhandled exception and its
/// stack trace.
/// </summary>
public static class StartupFailure
{
    /// <summary>The logging category of the generic host, which logs a failed start with its stack trace.</summary>
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    private static volatile bool s_starting = true;

    /// <summary>One line describing <paramref name="exception"/> for an operator (no secret: connection strings are never printed).</summary>
    public static string Describe(Exception exception) => exception switch
    {
        AggregateException { InnerExceptions.Count: 1 } aggregate => Describe(aggregate.InnerExceptions[0]),
        HostConfigurationException e => e.Message,
        OptionsValidationException e => string.Join(" ", e.Failures),
        IOException { InnerException: AddressInUseException } e =>
            $"{e.Message.TrimEnd('.')}: another process uses this port; stop it or choose another address with --urls http://127.0.0.1:<port> (setting 'urls', environment variable ASPNETCORE_URLS).",
        InvalidOperationException { InnerException: DbException inner } => Describe(inner),
        DbException e => $"The billing database is unreachable ({e.Message.TrimEnd('.')}): check ConnectionStrings:Billing and that the database server runs.",
        _ => $"{exception.GetType().Name}: {exception.Message}",
    };

    /// <summary>The database named by a PostgreSQL connection string, without its password, for messages.</summary>
    public static string DescribeDatabase(string connectionString)
    {
        var parsed = new NpgsqlConnectionStringBuilder(connectionString);
        return $"Host={parsed.Host};Port={parsed.Port};Database={parsed.Database}";
    }

    /// <summary>
    /// Hides the generic host's own "Hosting failed to start" error while the host starts: <c>Program</c> prints the
    /// failure as one line instead. Errors after the start are logged as usual.
    /// </summary>
    public static void QuietStartFailures(this ILoggingBuilder logging) =>
        logging.AddFilter(HostCategory, level => level >= LogLevel.Information && !(s_starting && level >= LogLevel.Error));

    /// <summary>Called once the host has started: from then on the host's errors are logged.</summary>
    public static void Started() => s_starting = false;
}
