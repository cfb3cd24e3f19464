using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Diagnostics;
using VaultAI.Billing.Storage;
using VaultAI.Billing.Stripe;

namespace VaultAI.Billing.Metering.Internal;

/// <summary>
/// Claims due outbox rows under a lease and sends them to Stripe. Every row carries a deterministic
/// identifier and idempotency key, so a row sent twice (a lease that expired under a slow call, a host
/// killed after sending) is counted once by Stripe. A row is sent, retried, or visibly failed: never dropped.
/// </summary>
internal sealed partial class MeterEventDispatcher : IMeterEventDispatcher, IDisposable
{
    private readonly IBillingStore _store;
    private readonly IStripeClient _stripe;
    private readonly IOptionsMonitor<VaultAIBillingOptions> _options;
    private readonly TimeProvider _timeProvider;
    private readonly BillingDiagnostics _diagnostics;
    private readonly ILogger<MeterEventDispatcher> _logger;
    private readonly RateLimiter _rateLimiter;
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private readonly SemaphoreSlim _sessionLock = new(1, 1);
    private StripeMeterEventSession? _session;

    public MeterEventDispatcher(IBillingStore store, IStripeClient stripe, IOptionsMonitor<VaultAIBillingOptions> options, TimeProvider timeProvider, BillingDiagnostics diagnostics, ILogger<MeterEventDispatcher> logger)
    {
        _store = store;
        _stripe = stripe;
        _options = options;
        _timeProvider = timeProvider;
        _diagnostics = diagnostics;
        _logger = logger;
        var perSecond = Math.Max(1, options.CurrentValue.Dispatcher.MaxRequestsPerSecond);
        _rateLimiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = perSecond,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    public async Task<int> DispatchOnceAsync(CancellationToken cancellationToken = default)
    {
        var settings = _options.CurrentValue.Dispatcher;
        var now = _timeProvider.GetUtcNow();
        var rows = await _store.ClaimOutboxAsync(settings.BatchSize, _owner, now, now + settings.LeaseDuration, cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return 0;
        }

        if (settings.Transport == MeterEventTransport.V2Stream)
        {
            foreach (var batch in rows.Chunk(100))
            {
                await SendStreamBatchAsync(batch, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            await Parallel.ForEachAsync(
                rows,
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, settings.Concurrency), CancellationToken = cancellationToken },
                async (row, ct) => await SendOneAsync(row, ct).ConfigureAwait(false)).ConfigureAwait(false);
        }

        return rows.Count;
    }

    private async Task SendOneAsync(MeterEventOutboxMessage row, CancellationToken cancellationToken)
    {
        if (await FailIfTooOldAsync(row, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        using var lease = await _rateLimiter.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        try
        {
            await _stripe.CreateMeterEventAsync(
                new MeterEventCreateOptions
                {
                    EventName = row.EventName,
                    StripeCustomerId = row.StripeCustomerId,
                    Value = row.Value,
                    Identifier = row.Identifier,
                    Timestamp = row.Timestamp,
                },
                new StripeRequestOptions { IdempotencyKey = "meter:" + row.Identifier },
                cancellationToken).ConfigureAwait(false);
            await CompleteAsync(row, new OutboxCompletion(OutboxStatus.Sent, _timeProvider.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await HandleFailureAsync([row], exception, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SendStreamBatchAsync(MeterEventOutboxMessage[] batch, CancellationToken cancellationToken)
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
            return;
        }

        var items = sendable.Select(row => new MeterEventStreamItem
        {
            EventName = row.EventName,
            Identifier = row.Identifier,
            Timestamp = row.Timestamp,
            StripeCustomerId = row.StripeCustomerId,
            Value = row.Value,
        }).ToArray();

        using var lease = await _rateLimiter.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        try
        {
            try
            {
                await _stripe.SendMeterEventStreamAsync(await GetSessionAsync(forceNew: false, cancellationToken).ConfigureAwait(false), items, cancellationToken).ConfigureAwait(false);
            }
            catch (StripeApiException exception) when (exception.ErrorType == "temporary_session_expired")
            {
                await _stripe.SendMeterEventStreamAsync(await GetSessionAsync(forceNew: true, cancellationToken).ConfigureAwait(false), items, cancellationToken).ConfigureAwait(false);
            }

            // One statement for the whole batch: the stream accepted all of it at once.
            var ids = sendable.Select(row => row.Id).ToArray();
            var completed = await _store.CompleteOutboxAsync(ids, _owner, new OutboxCompletion(OutboxStatus.Sent, _timeProvider.GetUtcNow()), cancellationToken).ConfigureAwait(false);
            _diagnostics.Dispatched(OutboxStatus.Sent, completed);
            if (completed < ids.Length)
            {
                LogBatchLeaseLost(_logger, ids.Length - completed);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await HandleFailureAsync(sendable, exception, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<StripeMeterEventSession> GetSessionAsync(bool forceNew, CancellationToken cancellationToken)
    {
        await _sessionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A session token lasts 15 minutes: renew a minute early rather than fail a batch.
            if (forceNew || _session is null || _session.ExpiresAt - TimeSpan.FromMinutes(1) <= _timeProvider.GetUtcNow())
            {
                _session = await _stripe.CreateMeterEventSessionAsync(cancellationToken).ConfigureAwait(false);
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
            if (exception is StripeApiException stripeError && IsPermanent(stripeError))
            {
                if (IsDuplicateIdentifier(stripeError))
                {
                    // Stripe already has this identifier: the event was sent before (by us, after a lost answer).
                    completion = new OutboxCompletion(OutboxStatus.Sent, now, StripeRequestId: stripeError.RequestId);
                }
                else
                {
                    completion = new OutboxCompletion(OutboxStatus.Failed, now, Error: Describe(stripeError), StripeRequestId: stripeError.RequestId);
                    LogFailed(_logger, row.Id, row.OrganizationId, (int)stripeError.StatusCode, stripeError.Code, stripeError.RequestId);
                }
            }
            else
            {
                var delay = Backoff(row.Attempts, settings);
                completion = new OutboxCompletion(OutboxStatus.Pending, now, NextAttemptAt: now + delay, Error: Describe(exception));
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

    internal static bool IsPermanent(StripeApiException exception)
    {
        var status = (int)exception.StatusCode;
        return status is >= 400 and < 500 and not 409 and not 429 and not 408
            && exception.ErrorType != "temporary_session_expired";
    }

    private static bool IsDuplicateIdentifier(StripeApiException exception) =>
        exception.StatusCode == HttpStatusCode.BadRequest
        && ((exception.Code?.Contains("duplicate", StringComparison.OrdinalIgnoreCase) ?? false)
            || (exception.StripeMessage?.Contains("identifier", StringComparison.OrdinalIgnoreCase) == true
                && exception.StripeMessage.Contains("already", StringComparison.OrdinalIgnoreCase)));

    internal static TimeSpan Backoff(int attempts, DispatcherOptions settings)
    {
        var exponent = Math.Clamp(attempts - 1, 0, 20);
        var raw = settings.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, exponent);
        var capped = Math.Min(raw, settings.RetryMaxDelay.TotalMilliseconds);
        // Full jitter between half and all of the delay keeps many hosts from retrying in step.
        return TimeSpan.FromMilliseconds(capped * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    private static string Describe(Exception exception) => exception switch
    {
        StripeApiException stripe => $"Stripe {(int)stripe.StatusCode} {stripe.ErrorType}{(stripe.Code is null ? "" : "/" + stripe.Code)}: {stripe.StripeMessage ?? stripe.Message}",
        _ => exception.GetType().Name + ": " + exception.Message,
    };

    public void Dispose()
    {
        _rateLimiter.Dispose();
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
