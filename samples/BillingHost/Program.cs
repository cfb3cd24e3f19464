var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrls(builder.Configuration["urls"] ?? "http://127.0.0.1:5080");

var app = builder.Build();
app.MapGet("/health/live", () => Results.Ok(new { status = "live" }));
app.Lifetime.ApplicationStarted.Register(() =>
    Console.WriteLine($"VaultAI.Billing sample host listening on {string.Join(", ", app.Urls)}"));
app.Run();

/// <summary>Entry point, visible to <c>WebApplicationFactory&lt;Program&gt;</c> in the integration tests.</summary>
public partial class Program;
