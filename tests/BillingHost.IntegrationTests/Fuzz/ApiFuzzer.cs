using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace BillingHost.IntegrationTests.Fuzz;

/// <summary>The outcome of a fuzz run: how many cases, by status, and every broken rule.</summary>
internal sealed record FuzzReport(int Cases, IReadOnlyDictionary<int, int> ByStatus, IReadOnlyList<string> Failures, TimeSpan Elapsed);

/// <summary>
/// Sends generated cases one by one and checks the rules of issue 11 on every answer: never a 5xx; every 4xx is
/// <c>application/problem+json</c> with a <c>code</c>; a refused request leaves every table of the billing schema as
/// it was (row count and a hash of the rows, so an update is caught as well as an insert).
/// </summary>
internal sealed class ApiFuzzer(HttpClient client, string connectionString, string adminApiKeyHeader, string adminApiKey)
{
    public async Task<FuzzReport> RunAsync(IEnumerable<FuzzCase> cases)
    {
        var clock = Stopwatch.StartNew();
        var failures = new List<string>();
        var byStatus = new SortedDictionary<int, int>();
        var count = 0;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var snapshotSql = await SnapshotSqlAsync(connection);

        foreach (var fuzzCase in cases)
        {
            count++;
            var before = await SnapshotAsync(connection, snapshotSql);
            int status;
            string body;
            string? mediaType;
            try
            {
                using var request = await BuildAsync(fuzzCase);
                using var response = await client.SendAsync(request);
                status = (int)response.StatusCode;
                body = await response.Content.ReadAsStringAsync();
                mediaType = response.Content.Headers.ContentType?.MediaType;
            }
            catch (Exception exception) when (exception is HttpRequestException or InvalidOperationException or IOException)
            {
                failures.Add($"{Describe(fuzzCase)}: the request failed: {exception.GetType().Name}: {exception.Message}");
                continue;
            }

            byStatus[status] = byStatus.GetValueOrDefault(status) + 1;
            var broken = Check(status, mediaType, body);
            if (status >= 400)
            {
                var after = await SnapshotAsync(connection, snapshotSql);
                var moved = before.Where(b => after.GetValueOrDefault(b.Key) != b.Value).Select(b => $"{b.Key} {b.Value} -> {after.GetValueOrDefault(b.Key)}").ToList();
                if (moved.Count > 0)
                {
                    broken ??= $"refused with {status} but wrote: {string.Join("; ", moved)}";
                }
            }

            if (broken is not null)
            {
                failures.Add($"{Describe(fuzzCase)}: {broken}; body {Shorten(body)}");
            }
        }

        return new FuzzReport(count, byStatus, failures, clock.Elapsed);
    }

    private static string? Check(int status, string? mediaType, string body)
    {
        if (status >= 500)
        {
            return $"answered {status}";
        }

        if (status is < 200 or (>= 300 and < 400))
        {
            return $"answered {status}, neither success nor a client error";
        }

        if (status < 400)
        {
            return null;
        }

        if (mediaType != "application/problem+json")
        {
            return $"{status} as '{mediaType}', not application/problem+json";
        }

        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String && code.GetString()!.Length > 0
                ? null
                : $"{status} problem without a code";
        }
        catch (JsonException)
        {
            return $"{status} problem that is not JSON";
        }
    }

    private async Task<HttpRequestMessage> BuildAsync(FuzzCase fuzzCase)
    {
        var request = new HttpRequestMessage(fuzzCase.Route.Method, fuzzCase.Path);
        if (fuzzCase.Body is { } body)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = null;
            if (fuzzCase.ContentType is { } contentType)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        if (fuzzCase.Authorization is { } authorization)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        if (fuzzCase.Header is { } header)
        {
            request.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        if (fuzzCase.Route.Caller == FuzzCaller.Admin)
        {
            request.Headers.Add(adminApiKeyHeader, adminApiKey);
        }

        if (fuzzCase.Route.Prepare is { } prepare)
        {
            await prepare(request, fuzzCase.Body ?? []);
        }

        return request;
    }

    /// <summary>
    /// One query: per table of the billing schema, its row count and the sum of its rows' hashes. Background bookkeeping is
    /// left out, because it moves on its own between two requests: a credential's last-used time (written after an earlier,
    /// accepted request, off that request's path), the dispatcher's shared rate bucket, and the daily MRR snapshot (written
    /// by its own timer, a few seconds after the host starts and every hour).
    /// </summary>
    private static async Task<string> SnapshotSqlAsync(NpgsqlConnection connection)
    {
        var tables = new List<string>();
        await using (var command = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'billing' AND table_type = 'BASE TABLE' ORDER BY table_name", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.True(tables.Count >= 5, $"the billing schema has tables ({string.Join(", ", tables)})");
        return string.Join(" UNION ALL ", tables.Where(t => t is not ("dispatch_rate_buckets" or "mrr_snapshots")).Select(t =>
            $"SELECT '{t}', count(*)::text || '/' || coalesce(sum(hashtext((to_jsonb(r) - 'last_used_at')::text)::bigint), 0)::text FROM billing.\"{t}\" r"));
    }

    private static async Task<Dictionary<string, string>> SnapshotAsync(NpgsqlConnection connection, string sql)
    {
        var snapshot = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            snapshot[reader.GetString(0)] = reader.GetString(1);
        }

        return snapshot;
    }

    private static string Describe(FuzzCase fuzzCase) =>
        $"{fuzzCase.Route.Name} {fuzzCase.Route.Method} {Shorten(fuzzCase.Path)} [{fuzzCase.Description}]";

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "…" : text;
}
