using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace BillingHost.IntegrationTests;

/// <summary>
/// The built host run as an OS process, configured through environment variables as an operator would: every failure
/// is one line starting with "error:" that names what to fix, with exit code 1 (2 for usage errors), and no stack trace.
/// </summary>
public class HostProcessFailureTests
{
    private const string Unreachable = "Host=127.0.0.1;Port=1;Database=billing;Username=billing;Password=not-a-real-password";

    private static readonly Dictionary<string, string> ProductionSettings = new()
    {
        ["ConnectionStrings__Billing"] = Unreachable,
        ["VaultAI__Billing__Stripe__ApiKey"] = "sk_test_" + new string('a', 24),
        ["VaultAI__Billing__Webhooks__Secrets__0"] = "whsec_" + new string('b', 24),
        ["VaultAI__Billing__Plans__pro__MonthlyPriceId"] = "price_pro",
        ["VaultAI__Host__AdminApiKeyHashes__0"] = new string('c', 64),
    };

    [Theory]
    [InlineData("--help")]
    [InlineData("help")]
    public async Task Help_PrintsTheCommands(string argument)
    {
        var (exit, output) = await RunAsync([argument], []);

        Assert.True(exit == 0, output);
        Assert.Contains("migrate", output, StringComparison.Ordinal);
        Assert.Contains("setup-stripe", output, StringComparison.Ordinal);
        Assert.DoesNotContain("error:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownCommand_IsAUsageError()
    {
        var (exit, output) = await RunAsync(["frobnicate"], []);

        Assert.Equal(2, exit);
        Assert.Contains("Unknown command 'frobnicate'", output, StringComparison.Ordinal);
        AssertNoCrash(output);
    }

    [Fact]
    public async Task ReplayWebhooks_WithoutSince_IsAUsageError()
    {
        var (exit, output) = await RunAsync(["replay-webhooks"], ProductionSettings);

        Assert.Equal(2, exit);
        Assert.Contains("--since", OneErrorLine(output), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_DatabaseUnreachable_IsOneLineNamingTheConnectionString()
    {
        var (exit, output) = await RunAsync(["migrate"], new() { ["ConnectionStrings__Billing"] = Unreachable });

        Assert.Equal(1, exit);
        Assert.Contains("ConnectionStrings:Billing", OneErrorLine(output), StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-real-password", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProductionStart_MissingStripeKey_IsOneLineNamingTheKey()
    {
        var settings = new Dictionary<string, string>(ProductionSettings);
        settings.Remove("VaultAI__Billing__Stripe__ApiKey");

        var (exit, output) = await RunAsync(["--urls", $"http://127.0.0.1:{FreePort()}"], settings);

        Assert.Equal(1, exit);
        Assert.Contains("VaultAI:Billing:Stripe:ApiKey", OneErrorLine(output), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProductionStart_MissingWebhookSecret_IsOneLineNamingTheKey()
    {
        var settings = new Dictionary<string, string>(ProductionSettings);
        settings.Remove("VaultAI__Billing__Webhooks__Secrets__0");

        var (exit, output) = await RunAsync(["--urls", $"http://127.0.0.1:{FreePort()}"], settings);

        Assert.Equal(1, exit);
        Assert.Contains("VaultAI:Billing:Webhooks:Secrets:0", OneErrorLine(output), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProductionStart_DatabaseUnreachable_RefusesToStartInOneLine()
    {
        var (exit, output) = await RunAsync(["--urls", $"http://127.0.0.1:{FreePort()}"], ProductionSettings);

        Assert.Equal(1, exit);
        var line = OneErrorLine(output);
        Assert.Contains("ConnectionStrings:Billing", line, StringComparison.Ordinal);
        Assert.Contains("unreachable", line, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-real-password", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_PortInUse_IsOneLineNamingThePortAndTheSetting()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;
        var data = Directory.CreateTempSubdirectory("billinghost-port-");
        try
        {
            // Embedded mode (no production setting) in its own data folder: only the port can fail.
            var (exit, output) = await RunAsync(["--urls", $"http://127.0.0.1:{port}"], new() { ["VaultAI__Host__DataPath"] = data.FullName });

            Assert.Equal(1, exit);
            var line = OneErrorLine(output);
            Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), line, StringComparison.Ordinal);
            Assert.Contains("--urls", line, StringComparison.Ordinal);
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    /// <summary>The single "error:" line of the output, after checking there is no crash.</summary>
    private static string OneErrorLine(string output)
    {
        AssertNoCrash(output);
        var errors = output.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1, output);
        return errors[0];
    }

    private static void AssertNoCrash(string output)
    {
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", output, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs <c>dotnet BillingHost.dll</c> with only <paramref name="environment"/> as its settings; returns its exit code and output.</summary>
    private static async Task<(int Exit, string Output)> RunAsync(string[] arguments, Dictionary<string, string> environment)
    {
        var dll = HostDll();
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("VaultAI__", StringComparison.Ordinal) || k.StartsWith("ConnectionStrings__", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException("The host did not exit:\n" + await stdout + await stderr);
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }

    private static string HostDll()
    {
        var testDirectory = new DirectoryInfo(AppContext.BaseDirectory);
        var root = testDirectory;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "VaultAI.Billing.sln")))
        {
            root = root.Parent;
        }

        if (root is null)
        {
            throw new Xunit.Sdk.XunitException($"VaultAI.Billing.sln not found above {AppContext.BaseDirectory}.");
        }

        var dll = Path.Combine(root.FullName, "samples", "BillingHost", "bin", testDirectory.Parent!.Name, testDirectory.Name, "BillingHost.dll");
        return File.Exists(dll) ? dll : throw new Xunit.Sdk.XunitException($"{dll} does not exist: build the sample host first.");
    }
}
