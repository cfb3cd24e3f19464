using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Client;

/// <summary>
/// Sends the usage event spool to <c>POST /api/usage-events</c> in batches, oldest first. Deletes exactly the events
/// the host answered (accepted or duplicate: both mean stored); keeps everything on a transient failure (the HTTP
/// client's resilience handler already retried, honouring <c>Retry-After</c>); on a 400 naming <c>events[i]</c> moves
/// that one event to <c>events/rejected/</c> and sends the rest again, because the host stores nothing of a batch
/// holding a bad event. A refused token (401) pauses sending until the stored token changes.
/// </summary>
internal sealed partial class UsageEventSender
{
    private readonly BillingClient _client;
    private readonly UsageEventSpool _spool;
    private readonly IBillingTokenStore _tokenStore;
    private readonly VaultAIBillingClientOptions _options;
    private readonly BillingClientMetrics _metrics;
    private readonly ILogger<UsageEventSender> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private byte[]? _refusedTokenHash;

    public UsageEventSender(
        IVaultAIBillingClient client,
        UsageEventSpool spool,
        IBillingTokenStore tokenStore,
        IOptions<VaultAIBillingClientOptions> options,
        BillingClientMetrics metrics,
        ILogger<UsageEventSender> logger)
    {
        _client = (BillingClient)client;
        _spool = spool;
        _tokenStore = tokenStore;
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task<UsageFlushResult> FlushAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var tally = new Tally();
            var completed = await FlushCoreAsync(tally, cancellationToken).ConfigureAwait(false);
            var pending = _spool.CountPending();
            if (!completed)
            {
                _metrics.UsageDeliveryFailed();
                Log.UsageFlushStopped(_logger, pending);
            }

            return new UsageFlushResult(tally.Accepted, tally.Duplicates, tally.Rejected, pending, completed);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<bool> FlushCoreAsync(Tally tally, CancellationToken cancellationToken)
    {
        if (_refusedTokenHash is not null)
        {
            var token = await _tokenStore.GetTokenAsync(cancellationToken).ConfigureAwait(false);
            if (token is not null && CryptographicOperations.FixedTimeEquals(Hash(token), _refusedTokenHash))
            {
                return false;
            }

            _refusedTokenHash = null;
        }

        var pending = await _spool.ListPendingAsync(cancellationToken).ConfigureAwait(false);
        if (pending.Count == 0)
        {
            return true;
        }

        // Registration problems are not the events' fault: they must never send an event to rejected/.
        try
        {
            await _client.EnsureRegisteredAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (VaultAIBillingException)
        {
            return false;
        }

        for (var start = 0; start < pending.Count; start += _options.UsageBatchSize)
        {
            var batch = pending.GetRange(start, Math.Min(_options.UsageBatchSize, pending.Count - start));
            if (!await SendBatchAsync(batch, tally, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Sends one batch until the host stored it; <see langword="false"/> when a later pass must try again.</summary>
    private async Task<bool> SendBatchAsync(List<(SpooledUsageEvent Event, string Path)> batch, Tally tally, CancellationToken cancellationToken)
    {
        while (batch.Count > 0)
        {
            UsageEventsResponse answer;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "api/usage-events")
                {
                    Content = WireJson.Content(new UsageEventsRequest(batch.Select(e => e.Event.ToWire()).ToList())),
                };
                answer = await _client.SendAuthorizedAsync<UsageEventsResponse>(request, cancellationToken).ConfigureAwait(false);
            }
            catch (BillingTokenLostException)
            {
                return false;
            }
            catch (VaultAIBillingException ex) when (ex.StatusCode == HttpStatusCode.Unauthorized)
            {
                var token = await _tokenStore.GetTokenAsync(cancellationToken).ConfigureAwait(false);
                _refusedTokenHash = token is null ? null : Hash(token);
                return false;
            }
            catch (VaultAIBillingException ex) when (ex.IsTransient)
            {
                return false;
            }
            catch (VaultAIBillingException ex) when (ex.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge)
            {
                if (ex.StatusCode == HttpStatusCode.BadRequest && EventIndex(ex.Problem?.Field) is { } index && index < batch.Count)
                {
                    // The host stored nothing of this batch: set the one bad event aside and send the others again.
                    Reject(batch[index], ex);
                    tally.Rejected++;
                    batch.RemoveAt(index);
                    continue;
                }

                if (batch.Count == 1)
                {
                    Reject(batch[0], ex);
                    tally.Rejected++;
                    return true;
                }

                // The answer names no event (or the body is too large): halve the batch until the culprit is alone.
                var half = batch.Count / 2;
                return await SendBatchAsync(batch.GetRange(0, half), tally, cancellationToken).ConfigureAwait(false)
                    && await SendBatchAsync(batch.GetRange(half, batch.Count - half), tally, cancellationToken).ConfigureAwait(false);
            }
            catch (VaultAIBillingException)
            {
                // Any other refusal (403, 404, ...) is about the organization, not an event: keep them all.
                return false;
            }

            Acknowledge(batch, answer, tally);
            return true;
        }

        return true;
    }

    private void Acknowledge(List<(SpooledUsageEvent Event, string Path)> batch, UsageEventsResponse answer, Tally tally)
    {
        var byId = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (usageEvent, path) in batch)
        {
            byId[usageEvent.Id] = path;
        }

        int accepted = 0, duplicates = 0;
        foreach (var status in answer.Events ?? [])
        {
            if (status.Id is null || !byId.Remove(status.Id, out var path))
            {
                continue;
            }

            var duplicate = string.Equals(status.Status, "duplicate", StringComparison.Ordinal);
            if (!duplicate && !string.Equals(status.Status, "accepted", StringComparison.Ordinal))
            {
                continue;
            }

            // Only now, after the host said it stored the event (a duplicate answer included), is the file dropped.
            UsageEventSpool.Delete(path);
            if (duplicate)
            {
                duplicates++;
            }
            else
            {
                accepted++;
            }
        }

        tally.Accepted += accepted;
        tally.Duplicates += duplicates;
        _metrics.UsageEventsSent(accepted, duplicates);
        Log.UsageEventsSent(_logger, accepted, duplicates, byId.Count);
    }

    private void Reject((SpooledUsageEvent Event, string Path) entry, VaultAIBillingException ex)
    {
        var rejectedPath = _spool.Reject(entry.Path, entry.Event, ex.StatusCode!.Value, ex.Problem);
        Log.UsageEventRejected(_logger, entry.Event.Id, entry.Event.Metric, (int)ex.StatusCode.Value, ex.Problem?.Code, ex.Problem?.Field, rejectedPath);
        _metrics.UsageEventRejected(ex.Problem?.Code);
    }

    private static int? EventIndex(string? field)
    {
        if (field is null)
        {
            return null;
        }

        var match = EventFieldPattern().Match(field);
        return match.Success && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : null;
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    [GeneratedRegex(@"^events\[(\d{1,4})\]", RegexOptions.CultureInvariant)]
    private static partial Regex EventFieldPattern();

    private sealed class Tally
    {
        public int Accepted { get; set; }

        public int Duplicates { get; set; }

        public int Rejected { get; set; }
    }
}
