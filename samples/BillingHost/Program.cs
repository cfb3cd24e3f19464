using System.Reflection;
using BillingHost.Commands;
using BillingHost.Hosting;

// Every failure of a command or of the start is one line naming what to fix, exit code 1 (2 for usage errors).
// Only when this program is the process: under WebApplicationFactory (the integration tests) the entry assembly is the
// test host, which expects the start-up exception itself.
var ownProcess = Assembly.GetEntryAssembly() == typeof(Program).Assembly;
WebApplication? app = null;
try
{
    if (HostCommands.IsHelp(args))
    {
        HostCommands.PrintHelp(Console.Out);
        return 0;
    }

    var builder = WebApplication.CreateBuilder(args);
    if (HostCommands.IsCommand(args))
    {
        return await HostCommands.RunAsync(args, builder.Configuration, builder.Environment.ContentRootPath, Console.Out);
    }

    if (ownProcess)
    {
        builder.Logging.QuietStartFailures();
    }

    await builder.AddBillingHostAsync();
    app = builder.Build();
    app.UseBillingHost();
    app.Lifetime.ApplicationStarted.Register(StartupFailure.Started);
    await app.RunAsync();
    return 0;
}
catch (OperationCanceledException) when (ownProcess && app is not null && app.Lifetime.ApplicationStopping.IsCancellationRequested)
{
    // Ctrl+C (or SIGTERM) while the host was still starting: a stop the operator asked for, not a failure.
    return 0;
}
catch (Exception e) when (ownProcess && e is not HostAbortedException)
{
    await Console.Error.WriteLineAsync("error: " + StartupFailure.Describe(e));
    return 1;
}

/// <summary>Entry point, visible to <c>WebApplicationFactory&lt;Program&gt;</c> in the integration tests.</summary>
public partial class Program;
