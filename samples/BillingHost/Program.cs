using BillingHost.Commands;
using BillingHost.Hosting;

var builder = WebApplication.CreateBuilder(args);
if (HostCommands.IsCommand(args))
{
    return await HostCommands.RunAsync(args, builder.Configuration, builder.Environment.ContentRootPath, Console.Out);
}

await builder.AddBillingHostAsync();
var app = builder.Build();
app.UseBillingHost();
await app.RunAsync();
return 0;

/// <summary>Entry point, visible to <c>WebApplicationFactory&lt;Program&gt;</c> in the integration tests.</summary>
public partial class Program;
