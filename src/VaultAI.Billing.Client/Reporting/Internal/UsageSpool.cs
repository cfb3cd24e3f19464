using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Client;

/// <summary>
/// The durable spool: one JSON file per report under <c>reports/</c>, named after its idempotency key (so writing
/// the same day's report twice is idempotent), deleted only once the host acknowledged it. Reports the host
/// refuses for good are moved to <c>reports/rejected/</c> with the host's problem details beside them.
/// </summary>
internal sealed class UsageSpool
{
    public const string ReportsFolderName = "reports";
    public const string RejectedFolderName = "rejected";
    private const string StateFileName = "reporter-state.json";

    private readonly ILogger<UsageSpool> _logger;

    public UsageSpool(IOptions<VaultAIBillingClientOptions> options, ILogger<UsageSpool> logger)
    {
        _logger = logger;
        RootDirectory = Path.GetFullPath(options.Value.SpoolDirectory!);
        ReportsDirectory = Path.Combine(RootDirectory, ReportsFolderName);
        RejectedDirectory = Path.Combine(ReportsDirectory, RejectedFolderName);
    }

    public string RootDirectory { get; }

    public string ReportsDirectory { get; }

    public string RejectedDirectory { get; }

    public static string FileNameFor(string idempotencyKey)
    {
        var builder = new StringBuilder(idempotencyKey.Length + 5);
        foreach (var c in idempotencyKey)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_');
        }

        return builder.Append(".json").ToString();
    }

    public string PathFor(string idempotencyKey) => Path.Combine(ReportsDirectory, FileNameFor(idempotencyKey));

    public bool Contains(string idempotencyKey) =>
        File.Exists(PathFor(idempotencyKey)) || File.Exists(Path.Combine(RejectedDirectory, FileNameFor(idempotencyKey)));

    public async Task WriteAsync(SpooledReport report, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(report, WireJson.Options);
        await AtomicFile.WriteAsync(PathFor(report.IdempotencyKey), bytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The pending reports, oldest first (by report timestamp, then key). Unreadable files are moved aside.</summary>
    public async Task<IReadOnlyList<(SpooledReport Report, string Path)>> ListPendingAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(ReportsDirectory))
        {
            return [];
        }

        var pending = new List<(SpooledReport, string)>();
        foreach (var path in Directory.EnumerateFiles(ReportsDirectory, "*.json", SearchOption.TopDirectoryOnly))
        {
            try
            {
                var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
                var report = JsonSerializer.Deserialize<SpooledReport>(bytes, WireJson.Options)
                    ?? throw new JsonException("The spool file is empty.");
                pending.Add((report, path));
            }
            catch (FileNotFoundException)
            {
                // Sent and deleted concurrently; nothing to do.
            }
            catch (JsonException ex)
            {
                var aside = MoveToRejected(path, Path.GetFileName(path), new { reason = "unreadable spool file", error = ex.Message });
                Log.SpoolEntryUnreadable(_logger, path, aside, ex);
            }
        }

        pending.Sort(static (a, b) =>
        {
            var byTime = a.Item1.Timestamp.CompareTo(b.Item1.Timestamp);
            return byTime != 0 ? byTime : string.CompareOrdinal(a.Item1.IdempotencyKey, b.Item1.IdempotencyKey);
        });
        return pending;
    }

    public int CountPending() =>
        Directory.Exists(ReportsDirectory) ? Directory.EnumerateFiles(ReportsDirectory, "*.json", SearchOption.TopDirectoryOnly).Count() : 0;

    public static void Delete(string path) => AtomicFile.TryDelete(path);

    /// <summary>Moves a refused report to <c>rejected/</c> and writes the host's answer beside it.</summary>
    public string Reject(string path, SpooledReport report, HttpStatusCode? status, BillingProblemDetails? problem)
    {
        var reason = new
        {
            idempotency_key = report.IdempotencyKey,
            http_status = status is null ? (int?)null : (int)status.Value,
            problem,
        };
        return MoveToRejected(path, FileNameFor(report.IdempotencyKey), reason);
    }

    public async Task<DateOnly?> ReadLastReportedDayAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(RootDirectory, StateFileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
            return JsonSerializer.Deserialize<ReporterState>(bytes, WireJson.Options)?.LastReportDay;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public Task WriteLastReportedDayAsync(DateOnly day, CancellationToken cancellationToken) =>
        AtomicFile.WriteAsync(
            Path.Combine(RootDirectory, StateFileName),
            JsonSerializer.SerializeToUtf8Bytes(new ReporterState(day), WireJson.Options),
            cancellationToken);

    /// <summary>Removes temp files left by a crash in the middle of an atomic write.</summary>
    public void CleanUpTempFiles()
    {
        if (!Directory.Exists(ReportsDirectory))
        {
            return;
        }

        foreach (var temp in Directory.EnumerateFiles(ReportsDirectory, "*" + AtomicFile.TempSuffix, SearchOption.TopDirectoryOnly))
        {
            AtomicFile.TryDelete(temp);
        }
    }

    private string MoveToRejected(string path, string fileName, object reason)
    {
        AtomicFile.EnsureDirectory(RejectedDirectory);
        var target = Path.Combine(RejectedDirectory, fileName);
        File.Move(path, target, overwrite: true);
        var reasonPath = Path.ChangeExtension(target, ".problem.json");
        File.WriteAllBytes(reasonPath, JsonSerializer.SerializeToUtf8Bytes(reason, WireJson.Options));
        return target;
    }

    private sealed record ReporterState(DateOnly LastReportDay);
}
