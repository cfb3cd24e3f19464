using Npgsql;

namespace VaultAI.Billing.TestSupport;

/// <summary>
/// The throwaway PostgreSQL cluster that <c>scripts/test.sh</c> starts. Tests that need the database
/// fail loudly without it: they are never skipped silently.
/// </summary>
internal static class TestDatabase
{
    public const string VariableName = "VAULTAI_BILLING_TEST_POSTGRES";

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(VariableName) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{VariableName} is not set. These tests need a real PostgreSQL: run the whole suite with ./scripts/test.sh, " +
                "which starts a throwaway cluster on 127.0.0.1 and exports the variable.");

    /// <summary>Creates a fresh database for one test class and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)].ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        // Each test class gets its own database, so its own connection pools, which Npgsql keeps open while idle for five
        // minutes by default. Across a suite of test projects running side by side, those idle connections reached the
        // cluster's max_connections ("too many clients already"); closing them after a few idle seconds keeps the suite
        // well under it.
        return new NpgsqlConnectionStringBuilder(ConnectionString)
        {
            Database = name,
            ConnectionIdleLifetime = 5,
            ConnectionPruningInterval = 1,
        }.ConnectionString;
    }
}
