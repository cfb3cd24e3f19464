using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Client;

/// <summary>How a pass over the spool ended.</summary>
internal enum DrainOutcome
{
    /// <summary>Nothing left to send.</summary>
    Completed,

    /// <summary>The host could not be reached or failed; try again later.</summary>
    TransientFailure,

    /// <summary>The token is lost or was refused; sending waits until it is fixed.</summary>
    Blocked,
}

/// <summary>Takes the daily count into the spool, and sends the spool to the billing host oldest first.</summary>
internal sealed class ReportDispatcher
{
    private readonly BillingClient _client;
    private readonly UsageSpool _spool;
    private readonly OrganizationInfoResolver _organization;
    private readonly IServiceScopeFactory _scopes;
    private readonly IBillingTokenStore _tokenStore;
    private readonly TimeProvider _timeProvider;
    private readonly VaultAIBillingClientOptions _options;
    private readonly ILogger<ReportDispatcher> _logger;
    private readonly BillingClientMetrics _metrics;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private byte[]? _refusedTokenHash;

    public ReportDispatcher(
        IVaultAIBillingClient client,
        UsageSpool spool,
        OrganizationInfoResolver organization,
        IServiceScopeFactory scopes,
        IBillingTokenStore tokenStore,
        TimeProvider timeProvider,
        IOptions<VaultAIBillingClientOptions> options,
        BillingClientMetrics metrics,
        ILogger<ReportDispatcher> logger)
    {
        _metrics = metrics;
        _client = (BillingClient)client;
        _spool = spool;
        _organization = organization;
        _scopes = scopes;
        _tokenStore = tokenStore;
        _timeProvider = timeProvider;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>
    /// Counts the active users and writes the day's report to the spool, unless that day's report is already there
    /// (written earlier and not yet sent, or moved to <c>rejected/</c>): a day is never counted twice.
    /// </summary>
    public async Task<SpooledReport?> CollectAsync(DateOnly day, CancellationToken cancellationToken)
    {
        var info = await _organization.GetAsync(cancellationToken).ConfigureAwait(false);
        var key = IdempotencyKeys.ForDay(info.OrganizationId, _options.Metric, day);
        if (_spool.Contains(key))
        {
            Log.ReportAlreadySpooled(_logger, key);
            return null;
        }

        long count;
        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var counter = scope.ServiceProvider.GetRequiredService<IActiveUserCounter>();
            count = await counter.CountActiveUsersAsync(cancellationToken).ConfigureAwait(false);
        }

        if (count < 0)
        {
            throw new InvalidOperationException("The IActiveUserCounter returned a negative count.");
        }

        var now = _timeProvider.GetUtcNow();
        var report = new SpooledReport(key, _options.Metric, day, info.OrganizationId, info.OrganizationName, info.InstanceUrl, count, now, now);
        await _spool.WriteAsync(report, cancellationToken).ConfigureAwait(false);
        Log.ReportSpooled(_logger, key, count);
        _metrics.Spooled();
        return report;
    }

    /// <summary>Sends every pending report, oldest first; stops at the first failure that a later try may fix.</summary>
    public async Task<DrainOutcome> DrainAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var outcome = await DrainCoreAsync(cancellationToken).ConfigureAwait(false);
            if (outcome != DrainOutcome.Completed)
            {
                _metrics.DeliveryFailed(outcome == DrainOutcome.Blocked ? "blocked" : "transient");
            }

            return outcome;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<DrainOutcome> DrainCoreAsync(CancellationToken cancellationToken)
    {
        if (_refusedTokenHash is not null)
        {
            var token = await _tokenStore.GetTokenAsync(cancellationToken).ConfigureAwait(false);
            if (token is not null && CryptographicOperations.FixedTimeEquals(Hash(token), _refusedTokenHash))
            {
                return DrainOutcome.Blocked;
            }

            _refusedTokenHash = null;
        }

        var pending = await _spool.ListPendingAsync(cancellationToken).ConfigureAwait(false);
        if (pending.Count == 0)
        {
            return DrainOutcome.Completed;
        }

        // Registration problems are not the reports' fault: they must never send a report to rejected/.
        try
        {
            await _client.EnsureRegisteredAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (VaultAIBillingException ex) when (ex.IsTransient)
        {
            return DrainOutcome.TransientFailure;
        }
        catch (VaultAIBillingException)
        {
            // Token lost (already logged) or enrollment refused (logged by the client): wait for an operator.
            return DrainOutcome.Blocked;
        }

        foreach (var (report, path) in pending)
        {
            try
            {
                var result = await _client.SendUsageAsync(report.ToWire(), report.IdempotencyKey, cancellationToken).ConfigureAwait(false);

                // Only now, after the host acknowledged it (a duplicate answer included), is the report dropped.
                UsageSpool.Delete(path);
                Log.ReportSent(_logger, report.IdempotencyKey, result.ReportId, result.Duplicate);
                _metrics.Sent(result.Duplicate);
            }
            catch (BillingTokenLostException)
            {
                return DrainOutcome.Blocked;
            }
            catch (VaultAIBillingException ex) when (ex.StatusCode == HttpStatusCode.Unauthorized)
            {
                var token = await _tokenStore.GetTokenAsync(cancellationToken).ConfigureAwait(false);
                _refusedTokenHash = token is null ? null : Hash(token);
                return DrainOutcome.Blocked;
            }
            catch (VaultAIBillingException ex) when (ex.IsTransient)
            {
                return DrainOutcome.TransientFailure;
            }
            catch (VaultAIBillingException ex) when (ex.StatusCode is { } status)
            {
                var rejectedPath = _spool.Reject(path, report, status, ex.Problem);
                Log.ReportRejected(_logger, report.IdempotencyKey, (int)status, ex.Problem?.Code, rejectedPath);
                _metrics.Rejected((int)status);
            }
        }

        return DrainOutcome.Completed;
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
