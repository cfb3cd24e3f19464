using Npgsql;

namespace VaultAI.Billing.EntityFramework.Tests;

public sealed class PostgresSmokeTests
{
    [Fact]
    public async Task Connect_CreateSchemaWriteReadDrop_RoundTrips()
    {
        await using var connection = new NpgsqlConnection(TestDatabase.ConnectionString);
        await connection.OpenAsync();

        var schema = $"smoke_{Guid.NewGuid():N}";
        await Execute(connection, $"CREATE SCHEMA {schema}");
        await Execute(connection, $"CREATE TABLE {schema}.probe (id int PRIMARY KEY, label text NOT NULL)");
        await Execute(connection, $"INSERT INTO {schema}.probe VALUES (1, 'vaultai')");

        await using (var select = new NpgsqlCommand($"SELECT label FROM {schema}.probe WHERE id = 1", connection))
        {
            Assert.Equal("vaultai", await select.ExecuteScalarAsync());
        }

        await Execute(connection, $"DROP SCHEMA {schema} CASCADE");
        await using var exists = new NpgsqlCommand(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = @name", connection);
        exists.Parameters.AddWithValue("name", schema);
        Assert.Equal(0L, await exists.ExecuteScalarAsync());
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
