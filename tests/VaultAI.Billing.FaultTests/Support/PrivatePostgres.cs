using System.Diagnostics;
using Npgsql;

namespace VaultAI.Billing.FaultTests.Support;

/// <summary>
/// A PostgreSQL cluster of the test's own, in a temp folder, made with the binaries <c>scripts/with-postgres.sh</c>
/// exports as <c>VAULTAI_BILLING_TEST_PGBIN</c>. The fault test stops and starts it under a running host; it never does
/// that to the shared cluster, which the other test projects use at the same time. Runs the server as the
/// <c>postgres</c> user when the tests run as root (PostgreSQL refuses root).
/// </summary>
internal sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _work;
    private readonly int _port;

    private PrivatePostgres(string bin, string work, int port)
    {
        _bin = bin;
        _work = work;
        _port = port;
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=vaultai;Database=postgres;Pooling=true;Maximum Pool Size=40;Timeout=5";
    }

    public string ConnectionString { get; }

    private string Data => Path.Combine(_work, "data");

    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = Environment.GetEnvironmentVariable("VAULTAI_BILLING_TEST_PGBIN") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("VAULTAI_BILLING_TEST_PGBIN is not set: run the tests through ./scripts/test.sh (or scripts/with-postgres.sh), which exports it.");
        var work = Directory.CreateTempSubdirectory("vaultai-fault-pg-").FullName;
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", ["postgres", work]);
        }

        var cluster = new PrivatePostgres(bin, work, HostProcess.FreePort());
        try
        {
            // Trust on 127.0.0.1 only: a throwaway cluster on loopback, gone when the test ends.
            await cluster.PgAsync("initdb", "-D", cluster.Data, "-U", "vaultai", "--auth=trust", "--no-sync", "-E", "UTF8");
            await cluster.StartServerAsync();
            var database = $"faults_{Guid.NewGuid():N}";
            await using (var connection = new NpgsqlConnection(cluster.ConnectionString))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
                await command.ExecuteNonQueryAsync();
            }

            cluster.DatabaseConnectionString = new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Database = database }.ConnectionString;
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public string DatabaseConnectionString { get; private set; } = "";

    /// <summary>Stops the server at once (<c>-m fast</c>: running transactions are rolled back, clients disconnected).</summary>
    public Task StopAsync() => PgAsync("pg_ctl", "-D", Data, "-m", "fast", "-w", "stop");

    public Task StartServerAsync() => PgAsync(
        "pg_ctl", "-D", Data, "-l", Path.Combine(_work, "postgres.log"), "-w",
        "-o", $"-c listen_addresses=127.0.0.1 -p {_port} -k {_work} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100",
        "start");

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(Data, "postmaster.pid")))
            {
                await PgAsync("pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop");
            }
        }
        finally
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    private Task PgAsync(string tool, params string[] arguments) =>
        Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. arguments])
            : RunAsync(Path.Combine(_bin, tool), arguments);

    private static async Task RunAsync(string file, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', info.ArgumentList)} exited {process.ExitCode}: {await output} {await error}");
        }
    }
}
