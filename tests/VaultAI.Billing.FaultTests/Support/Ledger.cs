using Npgsql;

namespace VaultAI.Billing.FaultTests.Support;

internal sealed record OutboxRow(string Identifier, string StripeCustomerId, long Value, string Status, int Attempts, string? LeaseOwner, DateTimeOffset? LeaseExpiresAt, string? LastError);

internal sealed record InboxRow(string Id, string Type, string Status);

internal sealed record OrganizationRow(Guid Id, string Status, string? StripeSubscriptionStatus);

/// <summary>Reads the host's tables straight from PostgreSQL, as an auditor would: the test never asks the host what it stored.</summary>
internal sealed class Ledger(string connectionString)
{
    public async Task<IReadOnlyList<OutboxRow>> OutboxAsync() => await QueryAsync(
        "SELECT identifier, stripe_customer_id, value, status, attempts, lease_owner, lease_expires_at, last_error FROM billing.meter_event_outbox",
        r => new OutboxRow(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetInt32(4), r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6), r.IsDBNull(7) ? null : r.GetString(7)));

    public async Task<int> UsageReportCountAsync() => (await QueryAsync("SELECT count(*)::int FROM billing.usage_reports", r => r.GetInt32(0)))[0];

    public async Task<IReadOnlyList<InboxRow>> WebhookEventsAsync() => await QueryAsync(
        "SELECT id, type, status FROM billing.webhook_events",
        r => new InboxRow(r.GetString(0), r.GetString(1), r.GetString(2)));

    public async Task<IReadOnlyList<OrganizationRow>> OrganizationsAsync() => await QueryAsync(
        "SELECT id, status, stripe_subscription_status FROM billing.organizations",
        r => new OrganizationRow(r.GetGuid(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2)));

    private async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read)
    {
        // A fresh, unpooled connection: the scenarios restart servers under pooled ones.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
