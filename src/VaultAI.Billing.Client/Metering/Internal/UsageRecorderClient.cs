using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Client;

/// <summary>The <see cref="IUsageRecorderClient"/>: spool first, send later (<see cref="UsageEventSender"/>), usage read through a cache.</summary>
internal sealed class UsageRecorderClient : IUsageRecorderClient
{
    /// <summary>The longest event id the host accepts.</summary>
    public const int MaxIdLength = 255;

    private readonly BillingClient _client;
    private readonly UsageEventSpool _spool;
    private readonly UsageEventSender _sender;
    private readonly UsageCache _cache;
    private readonly OrganizationInfoResolver _organization;
    private readonly TimeProvider _timeProvider;
    private readonly VaultAIBillingClientOptions _options;
    private readonly BillingClientMetrics _metrics;
    private readonly ILogger<UsageRecorderClient> _logger;

    public UsageRecorderClient(
        IVaultAIBillingClient client,
        UsageEventSpool spool,
        UsageEventSender sender,
        UsageCache cache,
        OrganizationInfoResolver organization,
        TimeProvider timeProvider,
        IOptions<VaultAIBillingClientOptions> options,
        BillingClientMetrics metrics,
        ILogger<UsageRecorderClient> logger)
    {
        _client = (BillingClient)client;
        _spool = spool;
        _sender = sender;
        _cache = cache;
        _organization = organization;
        _timeProvider = timeProvider;
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
    }

    public Task<IReadOnlyList<RejectedUsageEvent>> GetRejectedUsageAsync(CancellationToken cancellationToken = default) =>
        _spool.ListRejectedAsync(cancellationToken);

    public async Task<string> RecordUsageAsync(string metric, decimal quantity, DateTimeOffset? timestamp = null, string? id = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(metric);
        ArgumentOutOfRangeException.ThrowIfNegative(quantity);
        if (id is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(id);
            if (id.Length > MaxIdLength)
            {
                throw new ArgumentException($"The usage event id must be at most {MaxIdLength} characters; got {id.Length}.", nameof(id));
            }
        }

        var now = _timeProvider.GetUtcNow();
        var usageEvent = new SpooledUsageEvent(id ?? Guid.NewGuid().ToString("D"), metric, quantity, timestamp ?? now, now);

        // Durable before returning: from here on a crash or a week offline loses nothing.
        await _spool.WriteAsync(usageEvent, cancellationToken).ConfigureAwait(false);
        _metrics.UsageEventSpooled();
        Log.UsageEventSpooled(_logger, usageEvent.Id, metric);
        return usageEvent.Id;
    }

    public Task<UsageFlushResult> FlushUsageAsync(CancellationToken cancellationToken = default) => _sender.FlushAsync(cancellationToken);

    public async Task<OrganizationUsage> GetUsageAsync(CancellationToken cancellationToken = default)
    {
        var info = await _organization.GetAsync(cancellationToken).ConfigureAwait(false);
        var cached = await _cache.GetAsync(info.OrganizationId, cancellationToken).ConfigureAwait(false);
        var now = _timeProvider.GetUtcNow();
        if (cached is not null && now >= cached.RetrievedAt && now - cached.RetrievedAt < _options.UsageCacheLifetime)
        {
            return cached with { Age = now - cached.RetrievedAt };
        }

        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/organizations/" + info.OrganizationId.ToString("D") + "/usage");
            var wire = await _client.SendAuthorizedAsync<UsageResponseWire>(request, cancellationToken).ConfigureAwait(false);
            if (wire.Period is null)
            {
                throw new VaultAIBillingException(System.Net.HttpStatusCode.OK, null, "The billing host answered a usage without a period.");
            }

            var usage = new OrganizationUsage
            {
                OrganizationId = wire.OrganizationId == Guid.Empty ? info.OrganizationId : wire.OrganizationId,
                PeriodStart = wire.Period.Start,
                PeriodEnd = wire.Period.End,
                Plan = wire.Plan,
                Metrics = (wire.Usage ?? []).Where(m => m.Metric is not null)
                    .Select(m => new MetricUsage(m.Metric!, m.Unit ?? "", m.Current, m.Included, m.Limit, m.Percentage, m.Unlimited))
                    .ToList(),
                RetrievedAt = _timeProvider.GetUtcNow(),
            };
            await _cache.SetAsync(usage, cancellationToken).ConfigureAwait(false);
            return usage;
        }
        catch (VaultAIBillingException ex) when (ex.IsTransient && cached is not null)
        {
            Log.UsageServedStale(_logger, cached.RetrievedAt, ex);
            return cached with { IsStale = true, Age = now > cached.RetrievedAt ? now - cached.RetrievedAt : TimeSpan.Zero };
        }
    }
}
