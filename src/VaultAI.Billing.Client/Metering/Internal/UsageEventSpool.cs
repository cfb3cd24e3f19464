using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Client;

/// <summary>
/// The durable spool of usage events: one JSON file per event under <c>events/</c> in the spool folder, written
/// atomically (<see cref="AtomicFile"/>) and named after the SHA-256 of the event id (ids may hold any character, and
/// recording the same id twice keeps one file). A file is deleted only once the host acknowledged its event; events the
/// host refuses for good are moved to <c>events/rejected/</c> with the host's problem details beside them.
/// </summary>
internal sealed class UsageEventSpool
{
    public const string EventsFolderName = "events";
    public const string RejectedFolderName = "rejected";

    private readonly ILogger<UsageEventSpool> _logger;

    public UsageEventSpool(IOptions<VaultAIBillingClientOptions> options, ILogger<UsageEventSpool> logger)
    {
        _logger = logger;
        EventsDirectory = Path.Combine(Path.GetFullPath(options.Value.SpoolDirectory!), EventsFolderName);
        RejectedDirectory = Path.Combine(EventsDirectory, RejectedFolderName);

        // Here, before any write can go through this (singleton) spool, and not in the sender: the application records
        // events at any moment, and a cleanup running later would delete the temp file of a write in progress.
        CleanUpTempFiles();
    }

    public string EventsDirectory { get; }

    public string RejectedDirectory { get; }

    /// <summary>Formats a wire timestamp in UTC with its fraction of a second kept (trailing zeros dropped).</summary>
    public static string FormatTimestamp(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    public static string FileNameFor(string id) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id))) + ".json";

    public string PathFor(string id) => Path.Combine(EventsDirectory, FileNameFor(id));

    public async Task WriteAsync(SpooledUsageEvent usageEvent, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(usageEvent, WireJson.Options);
        await AtomicFile.WriteAsync(PathFor(usageEvent.Id), bytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The pending events, oldest first (by timestamp, then id). Unreadable files are moved aside.</summary>
    public async Task<List<(SpooledUsageEvent Event, string Path)>> ListPendingAsync(CancellationToken cancellationToken)
    {
        var pending = new List<(SpooledUsageEvent, string)>();
        if (!Directory.Exists(EventsDirectory))
        {
            return pending;
        }

        foreach (var path in Directory.EnumerateFiles(EventsDirectory, "*.json", SearchOption.TopDirectoryOnly))
        {
            try
            {
                var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
                var usageEvent = JsonSerializer.Deserialize<SpooledUsageEvent>(bytes, WireJson.Options)
                    ?? throw new JsonException("The spool file is empty.");
                pending.Add((usageEvent, path));
            }
            catch (FileNotFoundException)
            {
                // Sent and deleted concurrently; nothing to do.
            }
            catch (JsonException ex)
            {
                var aside = MoveToRejected(path, new { reason = "unreadable spool file", error = ex.Message });
                Log.SpoolEntryUnreadable(_logger, path, aside, ex);
            }
        }

        pending.Sort(static (a, b) =>
        {
            var byTime = a.Item1.Timestamp.CompareTo(b.Item1.Timestamp);
            return byTime != 0 ? byTime : string.CompareOrdinal(a.Item1.Id, b.Item1.Id);
        });
        return pending;
    }

    public int CountPending() =>
        Directory.Exists(EventsDirectory) ? Directory.EnumerateFiles(EventsDirectory, "*.json", SearchOption.TopDirectoryOnly).Count() : 0;

    public int CountRejected() =>
        Directory.Exists(RejectedDirectory)
            ? Directory.EnumerateFiles(RejectedDirectory, "*.json", SearchOption.TopDirectoryOnly).Count(p => !p.EndsWith(".problem.json", StringComparison.Ordinal))
            : 0;

    public static void Delete(string path) => AtomicFile.TryDelete(path);

    /// <summary>The quarantined events with the host's answer kept beside each; files that cannot be read are skipped.</summary>
    public async Task<IReadOnlyList<RejectedUsageEvent>> ListRejectedAsync(CancellationToken cancellationToken)
    {
        var rejected = new List<RejectedUsageEvent>();
        if (!Directory.Exists(RejectedDirectory))
        {
            return rejected;
        }

        foreach (var path in Directory.EnumerateFiles(RejectedDirectory, "*.json", SearchOption.TopDirectoryOnly).Where(p => !p.EndsWith(".problem.json", StringComparison.Ordinal)))
        {
            try
            {
                var usageEvent = JsonSerializer.Deserialize<SpooledUsageEvent>(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false), WireJson.Options);
                if (usageEvent is null)
                {
                    continue;
                }

                var problemPath = Path.ChangeExtension(path, ".problem.json");
                var reason = File.Exists(problemPath)
                    ? JsonSerializer.Deserialize<RejectionWire>(await File.ReadAllBytesAsync(problemPath, cancellationToken).ConfigureAwait(false), WireJson.Options)
                    : null;
                rejected.Add(new RejectedUsageEvent(usageEvent.Id, usageEvent.Metric, usageEvent.Quantity, usageEvent.Timestamp, reason?.HttpStatus, reason?.Code, reason?.Field, path));
            }
            catch (Exception ex) when (ex is JsonException or IOException)
            {
                // A torn or foreign file: it stays where it is for a person to look at.
            }
        }

        rejected.Sort(static (a, b) => a.Timestamp != b.Timestamp ? a.Timestamp.CompareTo(b.Timestamp) : string.CompareOrdinal(a.Id, b.Id));
        return rejected;
    }

    /// <summary>Moves a refused event to <c>rejected/</c> and writes the host's answer (status, code, field) beside it.</summary>
    public string Reject(string path, SpooledUsageEvent usageEvent, HttpStatusCode status, BillingProblemDetails? problem) =>
        MoveToRejected(path, new
        {
            id = usageEvent.Id,
            metric = usageEvent.Metric,
            http_status = (int)status,
            code = problem?.Code,
            field = problem?.Field,
            problem,
        });

    /// <summary>Removes temp files left by a crash in the middle of an atomic write.</summary>
    private void CleanUpTempFiles()
    {
        if (!Directory.Exists(EventsDirectory))
        {
            return;
        }

        foreach (var temp in Directory.EnumerateFiles(EventsDirectory, "*" + AtomicFile.TempSuffix, SearchOption.TopDirectoryOnly))
        {
            AtomicFile.TryDelete(temp);
        }
    }

    private string MoveToRejected(string path, object reason)
    {
        AtomicFile.EnsureDirectory(RejectedDirectory);
        var target = Path.Combine(RejectedDirectory, Path.GetFileName(path));
        File.Move(path, target, overwrite: true);
        File.WriteAllBytes(Path.ChangeExtension(target, ".problem.json"), JsonSerializer.SerializeToUtf8Bytes(reason, WireJson.Options));
        return target;
    }
}

/// <summary>What <see cref="UsageEventSpool.Reject"/> writes beside a quarantined event.</summary>
internal sealed record RejectionWire(int? HttpStatus, string? Code, string? Field);
