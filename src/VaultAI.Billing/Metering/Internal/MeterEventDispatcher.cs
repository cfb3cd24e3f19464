using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Diagnostics;
using VaultAI.Billing.Storage;
using Stripe;
using VaultAI.Billing.Stripe.Internal;
using MeterEventSession = Stripe.V2.Billing.MeterEventSession;
using StreamEvent = Stripe.V2.Billing.MeterEventStreamCreateEventOptions;

namespace VaultAI.Billing.Metering.Internal;

/// <summary>
/// Claims due outbox rows under a lease and sends them to Stripe. Every row carries a deterministic
/// identifier and idempotency key, so a row sent twice (a lease that expired under a slow call, a host
/// killed after sending) is counted once by Stripe. A row is sent, retried, or visibly failed: never dropped.
/// </summary>
internal sealed partial class MeterEventDispatcher : IMeterEventDispatcher, IDisposable
{
    private readonly IBillingStore _store;
    private readonly StripeClient _stripe;
    private readonly IOptionsMonitor<VaultAIBillingOptions> _options;
    private readonly TimeProvider _timeProvider;
    private readonly BillingDiagnostics _diagnostics;
    private readonly ILogger<MeterEventDispatcher> _logger;
    private readonly DispatchRateGate _rate;
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private readonly SemaphoreSlim _sessionLock = new(1, 1);
    private MeterEventSession? _session;

    /// <summary>The most claims one v2 pass makes, so a pass ends even while reports keep arriving.</summary>
    internal const int MaxStreamBatchesPerPass = 10;

    /// <summary>The most rows one v2 completion statement marks sent.</summary>
    internal const int MaxIdsPerCompletion = 1000;

    public MeterEventDispatcher(
        IBillingStore store,
        StripeClient stripe,
        IOptionsMonitor<VaultAIBillingOptions> options,
        TimeProvider timeProvider,
        BillingDiagnostics diagnostics,
        ILogger<MeterEventDispatcher> logger,
        IDispatchRateBudget? rateBudget = null)
    {
        _store = store;
        _stripe = stripe;
        _options = options;
        _timeProvider = timeProvider;
        _diagnostics = diagnostics;
        _logger = logger;
        var settings = options.CurrentValue.Dispatcher;

        // One bucket per transport: Stripe limits the two APIs separately.
        var bucket = settings.Transport == MeterEventTransport.V2Stream ? "stripe-meter-event-stream" : "stripe-meter-events-v1";
        _rate = new DispatchRateGate(rateBudget, bucket, settings.EffectiveRequestsPerSecond);
    }

    public async Task<int> DispatchOnceAsync(CancellationToken cancellationToken = default)
    {
        var settings = _options.CurrentValue.Dispatcher;
        var rows = await ClaimAsync(settings, cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return 0;
        }

        if (settings.Transport == MeterEventTransport.V2Stream)
        {
            return await DispatchStreamAsync(rows, settings, cancellationToken).ConfigureAwait(false);
        }

        // Rows Stripe accepted are completed together, in one statement, once the batch is through: until then they
        // stay leased to this host, and a crash in between only means Stripe sees them again and dedupes them.
        var sent = new System.Collections.Concurrent.ConcurrentQueue<Guid>();
        await Parallel.ForEachAsync(
            rows,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, settings.Concurrency), CancellationToken = cancellationToken },
            async (row, ct) =>
            {
                if (await SendOneAsync(row, ct).ConfigureAwait(false))
                {
                    sent.Enqueue(row.Id);
                }
            }).ConfigureAwait(false);
        if (!sent.IsEmpty)
        {
            await CompleteSentAsync(sent.ToArray(), cancellationToken).ConfigureAwait(false);
        }

        return rows.Count;
    }

    private Task<IReadOnlyList<MeterEventOutboxMessage>> ClaimAsync(DispatcherOptions settings, CancellationToken cancellationToken)
    {
        var now = _timeProvider.GetUtcNow();
        return _store.ClaimOutboxAsync(settings.BatchSize, _owner, now, now + settings.LeaseDuration, cancellationToken);
    }

    /// <summary>
    /// A v2 pass is a pipeline: claimed rows are cut into chunks of 100 that <see cref="DispatcherOptions.Concurrency"/>
    /// senders take as they come, so the next batch is claimed while the current one is on the wire. Chunks Stripe
    /// accepted go to one completer, which marks everything accepted since its last statement sent in one statement
    /// (at most <see cref="MaxIdsPerCompletion"/> rows), while the following chunks are sent. The pass waits for all its
    /// completions before it returns, so a caller sees every row it counted in its final state.
    /// </summary>
    private async Task<int> DispatchStreamAsync(IReadOnlyList<MeterEventOutboxMessage> first, DispatcherOptions settings, CancellationToken cancellationToken)
    {
        var senders = Math.Max(1, settings.Concurrency);

        // Room for one claimed batch plus what the senders hold: the claim of the next batch starts as soon as the
        // current one is handed over, not when it has been sent.
        var chunks = Channel.CreateBounded<MeterEventOutboxMessage[]>(new BoundedChannelOptions(((settings.BatchSize + 99) / 100) + senders) { SingleWriter = true });
        var accepted = Channel.CreateUnbounded<Guid[]>(new UnboundedChannelOptions { SingleReader = true });
        var total = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async Task ClaimAheadAsync()
        {
            try
            {
                var rows = first;
                for (var pass = 1; rows.Count > 0; pass++)
                {
                    total += rows.Count;
                    foreach (var chunk in rows.Chunk(100))
                    {
                        await chunks.Writer.WriteAsync(chunk, stop.Token).ConfigureAwait(false);
                    }

                    if (pass == MaxStreamBatchesPerPass)
                    {
                        break;
                    }

                    rows = await ClaimAsync(settings, stop.Token).ConfigureAwait(false);
                }

                chunks.Writer.Complete();
            }
            catch (Exception exception)
            {
                chunks.Writer.Complete(exception);
                throw;
            }
        }

        async Task SendAsync()
        {
            try
            {
                await foreach (var chunk in chunks.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
                {
                    if (await SendStreamBatchAsync(chunk, stop.Token).ConfigureAwait(false) is { Length: > 0 } ids)
                    {
                        accepted.Writer.TryWrite(ids);
                    }
                }
            }
            catch
            {
                // One sender failing (the database away, shutdown) ends the pass; rows not sent stay leased to this
                // host and are taken again by any dispatcher once the lease ends: late, never lost.
                await stop.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }

        // Not tied to the pass's stop: rows Stripe has accepted are still marked sent when a sender fails.
        async Task CompleteAcceptedAsync()
        {
            var ids = new List<Guid>(MaxIdsPerCompletion);
            try
            {
                while (await accepted.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    while (ids.Count < MaxIdsPerCompletion && accepted.Reader.TryRead(out var chunk))
                    {
                        ids.AddRange(chunk);
                    }

                    await CompleteSentAsync([.. ids], cancellationToken).ConfigureAwait(false);
                    ids.Clear();
                }
            }
            catch
            {
                // Should the statement fail (the database away), the rows stay leased and are sent again after the
                // lease, and Stripe dedupes them; the pass ends.
                await stop.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }

        var completer = CompleteAcceptedAsync();
        var workers = Enumerable.Range(0, senders).Select(_ => SendAsync()).Append(ClaimAheadAsync()).ToArray();
        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        finally
        {
            accepted.Writer.TryComplete();
            await completer.ConfigureAwait(false);
        }

        return total;
    }

    /// <summary>Sends one row with v1; <see langword="true"/> when Stripe accepted it (the caller completes it).</summary>
    private async Task<bool> SendOneAsync(MeterEventOutboxMessage row, CancellationToken cancellationToken)
    {
        if (await FailIfTooOldAsync(row, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        await _rate.AcquireAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stripe.V1.Billing.MeterEvents.CreateAsync(
                new global::Stripe.Billing.MeterEventCreateOptions
                {
                    EventName = row.EventName,
                    Payload = Payload(row),
                    Identifier = row.Identifier,
                    Timestamp = row.Timestamp.UtcDateTime,
                },
                new RequestOptions { IdempotencyKey = StripeIdempotencyKeys.MeterEvent(row.Identifier) },
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await HandleFailureAsync([row], exception, cancellationToken).ConfigureAwait(false);
            return false;
        }
    }

    /// <summary>
    /// Sends one chunk of up to 100 rows; returns the ids of the rows Stripe accepted, for the caller to complete (rows
    /// too old or refused are completed here, each with its outcome).
    /// </summary>
    private async Task<Guid[]> SendStreamBatchAsync(MeterEventOutboxMessage[] batch, CancellationToken cancellationToken)
    {
        var sendable = new List<MeterEventOutboxMessage>(batch.Length);
        foreach (var row in batch)
        {
            if (!await FailIfTooOldAsync(row, cancellationToken).ConfigureAwait(false))
            {
                sendable.Add(row);
            }
        }

        if (sendable.Count == 0)
        {
            return [];
        }

        var events = new global::Stripe.V2.Billing.MeterEventStreamCreateOptions
        {
            Events = sendable.Select(row => new StreamEvent
            {
                EventName = row.EventName,
                Identifier = row.Identifier,
                Timestamp = row.Timestamp.UtcDateTime,
                Payload = Payload(row),
            }).ToList(),
        };

        await _rate.AcquireAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            try
            {
                await SendStreamAsync(events, forceNewSession: false, cancellationToken).ConfigureAwait(false);
            }
            catch (StripeException exception) when (StripeErrors.IsSessionExpired(exception))
            {
                await SendStreamAsync(events, forceNewSession: true, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await HandleFailureAsync(sendable, exception, cancellationToken).ConfigureAwait(false);
            return [];
        }

        // Stripe has the chunk: the caller marks it sent, with other accepted chunks, without holding up the next one.
        var ids = new Guid[sendable.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = sendable[i].Id;
        }

        return ids;
    }

    private async Task CompleteSentAsync(Guid[] ids, CancellationToken cancellationToken)
    {
        var completed = await _store.CompleteOutboxAsync(ids, _owner, new OutboxCompletion(OutboxStatus.Sent, _timeProvider.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        _diagnostics.Dispatched(OutboxStatus.Sent, completed);
        if (completed < ids.Length)
        {
            LogBatchLeaseLost(_logger, ids.Length - completed);
        }
    }

    private async Task SendStreamAsync(global::Stripe.V2.Billing.MeterEventStreamCreateOptions events, bool forceNewSession, CancellationToken cancellationToken)
    {
        var session = await GetSessionAsync(forceNewSession, cancellationToken).ConfigureAwait(false);

        // The stream authenticates with the session's token instead of the API key.
        await _stripe.V2.Billing.MeterEventStream.CreateAsync(events, new RequestOptions { ApiKey = session.AuthenticationToken }, cancellationToken).ConfigureAwait(false);
    }

    private static Dictionary<string, string> Payload(MeterEventOutboxMessage row) => new(StringComparer.Ordinal)
    {
        ["stripe_customer_id"] = row.StripeCustomerId,
        ["value"] = row.Value.ToString(CultureInfo.InvariantCulture),
    };

    private async Task<MeterEventSession> GetSessionAsync(bool forceNew, CancellationToken cancellationToken)
    {
        await _sessionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A session token lasts 15 minutes: renew a minute early rather than fail a batch.
            if (forceNew || _session is null || _session.ExpiresAt.ToUtcOffset() - TimeSpan.FromMinutes(1) <= _timeProvider.GetUtcNow())
            {
                _session = await _stripe.V2.Billing.MeterEventSession.CreateAsync(new global::Stripe.V2.Billing.MeterEventSessionCreateOptions(), cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            return _session;
        }
        finally
        {
            _sessionLock.Release();
        }
    }

    private async Task<bool> FailIfTooOldAsync(MeterEventOutboxMessage row, CancellationToken cancellationToken)
    {
        var now = _timeProvider.GetUtcNow();
        if (row.Timestamp >= now - TimeSpan.FromDays(35) + TimeSpan.FromMinutes(5))
        {
            return false;
        }

        // Stripe would reject it; say so where the administrator looks, rather than retry forever.
        var completion = new OutboxCompletion(OutboxStatus.Failed, now, Error: "The event is older than Stripe's 35-day window for meter events and can no longer be sent.");
        await CompleteAsync(row, completion, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task HandleFailureAsync(IReadOnlyList<MeterEventOutboxMessage> rows, Exception exception, CancellationToken cancellationToken)
    {
        var now = _timeProvider.GetUtcNow();
        var settings = _options.CurrentValue.Dispatcher;
        foreach (var row in rows)
        {
            OutboxCompletion completion;
            if (exception is StripeException stripeError && StripeErrors.IsPermanent(stripeError))
            {
                if (IsDuplicateIdentifier(stripeError))
                {
                    // Stripe already has this identifier: the event was sent before (by us, after a lost answer).
                    completion = new OutboxCompletion(OutboxStatus.Sent, now, StripeRequestId: stripeError.RequestId());
                }
                else
                {
                    completion = new OutboxCompletion(OutboxStatus.Failed, now, Error: StripeErrors.Describe(stripeError), StripeRequestId: stripeError.RequestId());
                    LogFailed(_logger, row.Id, row.OrganizationId, (int)stripeError.HttpStatusCode, stripeError.StripeError?.Code, stripeError.RequestId());
                }
            }
            else
            {
                var delay = Backoff(row.Attempts, settings);
                // Stripe's 429 says when to come back; the client does not wait in-call for it (that would hold a lease),
                // so the next attempt is moved instead: no earlier than Retry-After, capped by Stripe:MaxRetryAfter.
                if (StripeRetryAfter(exception, _options.CurrentValue.Stripe.MaxRetryAfter, now) is { } asked && asked > delay)
                {
                    delay = asked;
                }

                completion = new OutboxCompletion(OutboxStatus.Pending, now, NextAttemptAt: now + delay, Error: StripeErrors.Describe(exception));
                LogRetry(_logger, row.Id, row.Attempts, delay, exception.GetType().Name);
            }

            await CompleteAsync(row, completion, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task CompleteAsync(MeterEventOutboxMessage row, OutboxCompletion completion, CancellationToken cancellationToken)
    {
        var applied = await _store.CompleteOutboxAsync(row.Id, _owner, completion, cancellationToken).ConfigureAwait(false);
        _diagnostics.Dispatched(completion.Status == OutboxStatus.Pending ? "retry" : completion.Status);
        if (!applied)
        {
            LogLeaseLost(_logger, row.Id);
        }
    }

    /// <summary>The wait a Stripe error's <c>Retry-After</c> asks for, capped to <paramref name="max"/>; <see langword="null"/> when there is none.</summary>
    internal static TimeSpan? StripeRetryAfter(Exception exception, TimeSpan max, DateTimeOffset now)
    {
        var header = exception is StripeException { StripeResponse: { } response } ? response.Headers?.RetryAfter : null;
        var delay = header switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - now,
            _ => (TimeSpan?)null,
        };
        return delay is { } d ? TimeSpan.FromTicks(Math.Clamp(d.Ticks, 0, Math.Max(0, max.Ticks))) : null;
    }

    private static bool IsDuplicateIdentifier(StripeException exception) =>
        exception.HttpStatusCode == HttpStatusCode.BadRequest
        && ((exception.StripeError?.Code?.Contains("duplicate", StringComparison.OrdinalIgnoreCase) ?? false)
            || (exception.StripeError?.Message?.Contains("identifier", StringComparison.OrdinalIgnoreCase) == true
                && exception.StripeError.Message.Contains("already", StringComparison.OrdinalIgnoreCase)));

    internal static TimeSpan Backoff(int attempts, DispatcherOptions settings)
    {
        var exponent = Math.Clamp(attempts - 1, 0, 20);
        var raw = settings.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, exponent);
        var capped = Math.Min(raw, settings.RetryMaxDelay.TotalMilliseconds);
        // Full jitter between half and all of the delay keeps many hosts from retrying in step.
        return TimeSpan.FromMilliseconds(capped * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    public void Dispose()
    {
        _rate.Dispose();
        _sessionLock.Dispose();
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Meter event {OutboxId} failed permanently for organization {OrganizationId}: Stripe {Status} {Code} (request {RequestId})")]
    private static partial void LogFailed(ILogger logger, Guid outboxId, Guid organizationId, int status, string? code, string? requestId);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Meter event {OutboxId} will be retried (attempt {Attempts}) in {Delay}: {Error}")]
    private static partial void LogRetry(ILogger logger, Guid outboxId, int attempts, TimeSpan delay, string error);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Warning, Message = "{Count} meter events of a stream batch had lost their lease before completion; another dispatcher owns them")]
    private static partial void LogBatchLeaseLost(ILogger logger, int count);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "Meter event {OutboxId}: the lease was lost before completion; another dispatcher owns it")]
    private static partial void LogLeaseLost(ILogger logger, Guid outboxId);
}
