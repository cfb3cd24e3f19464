using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace VaultAI.Billing.Client;

/// <summary>The <see cref="IVaultAIBillingClient"/> over the named HTTP client (resilience handler, then auth handler).</summary>
internal sealed partial class BillingClient : IVaultAIBillingClient
{
    public const string HttpClientName = "VaultAI.Billing.Client";
    public const string EnrollmentKeyHeader = "X-Enrollment-Key";
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly VaultAIBillingClientOptions _options;
    private readonly IBillingTokenStore _tokenStore;
    private readonly OrganizationInfoResolver _organization;
    private readonly StatusCache _statusCache;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<BillingClient> _logger;
    private readonly SemaphoreSlim _registrationGate = new(1, 1);
    private volatile BillingClientState _state;

    public BillingClient(
        IHttpClientFactory httpClientFactory,
        IOptions<VaultAIBillingClientOptions> options,
        IBillingTokenStore tokenStore,
        OrganizationInfoResolver organization,
        StatusCache statusCache,
        TimeProvider timeProvider,
        ILogger<BillingClient> logger)
    {
        _httpClientFactory = httpClientFactory;
        _options = options.Value;
        _tokenStore = tokenStore;
        _organization = organization;
        _statusCache = statusCache;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public BillingClientState State => _state;

    public async Task<RegistrationResult> RegisterAsync(CancellationToken cancellationToken = default)
    {
        await _registrationGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RegisterCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _registrationGate.Release();
        }
    }

    public async Task<UsageReportResult> ReportUsageAsync(UsageReport report, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentOutOfRangeException.ThrowIfNegative(report.UserCount);
        var info = await _organization.GetAsync(cancellationToken).ConfigureAwait(false);
        var localDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(report.Timestamp, _timeProvider.LocalTimeZone).DateTime);
        var key = string.IsNullOrWhiteSpace(idempotencyKey)
            ? IdempotencyKeys.ForDay(info.OrganizationId, _options.Metric, localDay)
            : idempotencyKey;
        var body = new UsageReportRequest(info.OrganizationId, info.OrganizationName, info.InstanceUrl, report.UserCount, WireJson.FormatTimestamp(report.Timestamp));
        return await SendUsageAsync(body, key, cancellationToken).ConfigureAwait(false);
    }

    public async Task<OrganizationStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        var info = await _organization.GetAsync(cancellationToken).ConfigureAwait(false);
        var cached = await _statusCache.GetAsync(info.OrganizationId, cancellationToken).ConfigureAwait(false);
        var now = _timeProvider.GetUtcNow();
        if (cached is not null && now - cached.RetrievedAt < _options.StatusCacheLifetime && now >= cached.RetrievedAt)
        {
            return cached;
        }

        try
        {
            await EnsureRegisteredAsync(cancellationToken).ConfigureAwait(false);
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/organizations/" + info.OrganizationId.ToString("D") + "/status");
            using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    _state = BillingClientState.TokenInvalid;
                    Log.TokenRejected(_logger, info.OrganizationId);
                }

                throw await FailureAsync(request, response, cancellationToken).ConfigureAwait(false);
            }

            var wire = await response.Content.ReadFromJsonAsync<StatusResponse>(WireJson.Options, cancellationToken).ConfigureAwait(false)
                ?? throw new VaultAIBillingException(response.StatusCode, null, "The billing host answered an empty status.");
            var status = new OrganizationStatus
            {
                OrganizationId = wire.OrganizationId == Guid.Empty ? info.OrganizationId : wire.OrganizationId,
                OrganizationName = wire.OrganizationName,
                SubscriptionStatus = wire.SubscriptionStatus ?? "pending",
                TrialActive = wire.TrialActive,
                TrialEnd = wire.TrialEnd,
                PlanType = wire.PlanType,
                DeploymentType = wire.DeploymentType,
                StripeSubscription = wire.StripeSubscription,
                Entitlements = wire.Entitlements,
                RetrievedAt = _timeProvider.GetUtcNow(),
                IsStale = false,
            };
            await _statusCache.SetAsync(status, cancellationToken).ConfigureAwait(false);
            return status;
        }
        catch (VaultAIBillingException ex) when (ex.IsTransient && cached is not null)
        {
            Log.StatusServedStale(_logger, cached.RetrievedAt, ex);
            return cached with { IsStale = true };
        }
    }

    /// <summary>Registers unless a token is already stored.</summary>
    internal async Task EnsureRegisteredAsync(CancellationToken cancellationToken)
    {
        if (await _tokenStore.GetTokenAsync(cancellationToken).ConfigureAwait(false) is not null)
        {
            if (_state == BillingClientState.Unknown)
            {
                _state = BillingClientState.Registered;
            }

            return;
        }

        await _registrationGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (await _tokenStore.GetTokenAsync(cancellationToken).ConfigureAwait(false) is null)
            {
                _state = _state == BillingClientState.TokenLost ? BillingClientState.TokenLost : BillingClientState.Unregistered;
                await RegisterCoreAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _registrationGate.Release();
        }
    }

    /// <summary>Sends one usage report body under the given idempotency key (the same key on every retry).</summary>
    internal async Task<UsageReportResult> SendUsageAsync(UsageReportRequest body, string idempotencyKey, CancellationToken cancellationToken)
    {
        await EnsureRegisteredAsync(cancellationToken).ConfigureAwait(false);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/usage-report") { Content = WireJson.Content(body) };
        request.Headers.TryAddWithoutValidation(IdempotencyKeyHeader, idempotencyKey);
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                _state = BillingClientState.TokenInvalid;
                Log.TokenRejected(_logger, body.OrganizationId);
            }

            throw await FailureAsync(request, response, cancellationToken).ConfigureAwait(false);
        }

        var wire = await response.Content.ReadFromJsonAsync<UsageReportResponse>(WireJson.Options, cancellationToken).ConfigureAwait(false);
        if (wire?.ReportId is null)
        {
            throw new VaultAIBillingException(response.StatusCode, null, "The billing host acknowledged the usage report without a report_id.");
        }

        _state = BillingClientState.Registered;
        return new UsageReportResult(wire.ReportId, wire.OrganizationStatus, wire.Duplicate);
    }

    /// <summary>
    /// Sends one request with the organization token (registering first if none is stored) and reads the JSON answer.
    /// A 401 marks the token invalid, as on the status and report routes; any other failure throws the typed exception.
    /// </summary>
    internal async Task<T> SendAuthorizedAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken)
        where T : class
    {
        await EnsureRegisteredAsync(cancellationToken).ConfigureAwait(false);
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                _state = BillingClientState.TokenInvalid;
                var info = await _organization.GetAsync(cancellationToken).ConfigureAwait(false);
                Log.TokenRejected(_logger, info.OrganizationId);
            }

            throw await FailureAsync(request, response, cancellationToken).ConfigureAwait(false);
        }

        T? body;
        try
        {
            body = await response.Content.ReadFromJsonAsync<T>(WireJson.Options, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new VaultAIBillingException(response.StatusCode, null, "The billing host answered a body that is not the expected JSON.", ex);
        }

        _state = BillingClientState.Registered;
        return body ?? throw new VaultAIBillingException(response.StatusCode, null, "The billing host answered an empty body.");
    }

    private async Task<RegistrationResult> RegisterCoreAsync(CancellationToken cancellationToken)
    {
        var info = await _organization.GetAsync(cancellationToken).ConfigureAwait(false);
        var body = new RegisterRequest(info.OrganizationId, info.OrganizationName, info.InstanceUrl, info.ContactEmail);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/organizations/register") { Content = WireJson.Content(body) };
        if (!string.IsNullOrEmpty(_options.EnrollmentKey))
        {
            request.Headers.TryAddWithoutValidation(EnrollmentKeyHeader, _options.EnrollmentKey);
        }

        // The auth handler adds the stored token, if any: that is the proof of ownership when re-registering.
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            var problem = await WireJson.ReadProblemAsync(response, cancellationToken).ConfigureAwait(false);
            _state = BillingClientState.TokenLost;
            Log.TokenLost(_logger, info.OrganizationId);
            throw new BillingTokenLostException(info.OrganizationId, response.StatusCode, problem);
        }

        if (!response.IsSuccessStatusCode)
        {
            throw await FailureAsync(request, response, cancellationToken).ConfigureAwait(false);
        }

        var wire = await response.Content.ReadFromJsonAsync<RegisterResponse>(WireJson.Options, cancellationToken).ConfigureAwait(false)
            ?? throw new VaultAIBillingException(response.StatusCode, null, "The billing host answered an empty registration.");
        var tokenIssued = !string.IsNullOrEmpty(wire.BillingToken);
        if (tokenIssued)
        {
            await _tokenStore.SetTokenAsync(wire.BillingToken!, cancellationToken).ConfigureAwait(false);
            Log.Registered(_logger, info.OrganizationId, wire.OrganizationStatus);
        }
        else if (await _tokenStore.GetTokenAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            throw new VaultAIBillingException(response.StatusCode, null, "The billing host accepted the registration but issued no billing token.");
        }
        else
        {
            Log.AlreadyRegistered(_logger, info.OrganizationId);
        }

        _state = BillingClientState.Registered;
        return new RegistrationResult(
            wire.OrganizationId == Guid.Empty ? info.OrganizationId : wire.OrganizationId,
            wire.AlreadyRegistered || !tokenIssued,
            tokenIssued,
            wire.OrganizationStatus,
            wire.StripeCustomerId,
            wire.StripeSubscriptionId,
            wire.TrialEnd);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var http = _httpClientFactory.CreateClient(HttpClientName);
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or BrokenCircuitException or OperationCanceledException)
        {
            throw new VaultAIBillingException(
                null,
                null,
                string.Create(CultureInfo.InvariantCulture, $"The billing host could not be reached ({ex.GetType().Name}: {ex.Message})."),
                ex);
        }
    }

    private async Task<VaultAIBillingException> FailureAsync(HttpRequestMessage request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var problem = await WireJson.ReadProblemAsync(response, cancellationToken).ConfigureAwait(false);
        if (!HttpClientResiliencePredicates.IsTransient(Outcome.FromResult(response)))
        {
            Log.RequestRefused(_logger, request.Method.Method, request.RequestUri?.OriginalString, response.StatusCode, problem?.Code);
        }

        return new VaultAIBillingException(response.StatusCode, problem, VaultAIBillingException.Describe(response.StatusCode, problem));
    }
}

/// <summary>The deterministic idempotency keys of usage reports.</summary>
internal static class IdempotencyKeys
{
    public static string ForDay(Guid organizationId, string metric, DateOnly day) =>
        string.Create(CultureInfo.InvariantCulture, $"{organizationId:D}:{metric}:{day:yyyy-MM-dd}");
}
