using Npgsql;

namespace BillingHost.IntegrationTests.Support;

/// <summary>
/// The throwaway PostgreSQL cluster that <c>scripts/test.sh</c> starts. Tests that need it fail loudly without it:
/// they are never skipped silently.
/// </summary>
internal static class TestDatabase
{
    public const string VariableName = "VAULTAI_BILLING_TEST_POSTGRES";

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(VariableName) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{VariableName} is not set. These tests need a real PostgreSQL: run them with ./scripts/test.sh " +
                "(for example ./scripts/test.sh --filter FullyQualifiedName~BillingHost), which starts a throwaway cluster on 127.0.0.1 and exports the variable.");

    /// <summary>Creates a fresh database and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)].ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }
}
