using System.ComponentModel.DataAnnotations;

namespace VaultAI.Billing.Client;

/// <summary>
/// Settings of the instance-side billing client, bound from the <c>VaultAI:BillingClient</c> configuration section.
/// </summary>
public sealed class VaultAIBillingClientOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "VaultAI:BillingClient";

    /// <summary>Gets or sets the base address of the billing host, for example <c>https://billing.vaultai.eu/</c>.</summary>
    /// <value>Required. Must be an absolute <c>https</c> URL; plain <c>http</c> is accepted only for a loopback host.</value>
    [Required(ErrorMessage = "VaultAI:BillingClient:BaseAddress is required: set it to the absolute https URL of the billing host.")]
    public Uri? BaseAddress { get; set; }

    /// <summary>Gets or sets the id of this instance's organization.</summary>
    /// <value>Required unless an <see cref="IOrganizationInfoProvider"/> is registered. The default is <see langword="null"/>.</value>
    public Guid? OrganizationId { get; set; }

    /// <summary>Gets or sets the display name of this instance's organization.</summary>
    /// <value>Required unless an <see cref="IOrganizationInfoProvider"/> is registered. The default is <see langword="null"/>.</value>
    public string? OrganizationName { get; set; }

    /// <summary>Gets or sets the public URL (or host name) of this instance, for example <c>acme.example.com</c>.</summary>
    /// <value>Required unless an <see cref="IOrganizationInfoProvider"/> is registered. The default is <see langword="null"/>.</value>
    public string? InstanceUrl { get; set; }

    /// <summary>Gets or sets the e-mail address of the organization's administrator, sent at registration.</summary>
    /// <value>Optional. The default is <see langword="null"/>.</value>
    public string? ContactEmail { get; set; }

    /// <summary>Gets or sets the local time of day (in <see cref="TimeProvider.LocalTimeZone"/>) at which the daily report is due.</summary>
    /// <value>The default is 03:00.</value>
    public TimeOnly ReportTimeOfDay { get; set; } = new(3, 0);

    /// <summary>Gets or sets the upper bound of the random delay added to <see cref="ReportTimeOfDay"/>, so that instances do not all report in the same second.</summary>
    /// <value>The default is 30 minutes. Zero disables the random delay.</value>
    public TimeSpan MaxRandomDelay { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Gets or sets the folder holding the token file, the durable report spool and the cached status.</summary>
    /// <value>The default is a <c>vaultai-billing</c> folder under the local application data folder.</value>
    public string? SpoolDirectory { get; set; }

    /// <summary>Gets or sets the timeout of one HTTP attempt.</summary>
    /// <value>The default is 30 seconds. Must be between 10 milliseconds and 10 minutes.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how long a status fetched from the billing host is served from the cache without a new call.</summary>
    /// <value>The default is 5 minutes.</value>
    public TimeSpan StatusCacheLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets how old a cached status may be for <c>CheckEntitlementAsync</c> to answer from it while the billing host
    /// is unreachable; past it the check fails with the transient error (the bound on how stale an entitlement can be).
    /// </summary>
    /// <value>The default is 24 hours.</value>
    public TimeSpan EntitlementCacheMaxAge { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Gets or sets the enrollment key sent at registration in the <c>X-Enrollment-Key</c> header, when the billing host requires one.</summary>
    /// <value>Optional. The default is <see langword="null"/>.</value>
    public string? EnrollmentKey { get; set; }

    /// <summary>Gets or sets how many times a failed HTTP attempt (connection error, timeout, 408, 429, 5xx) is retried.</summary>
    /// <value>The default is 4 retries.</value>
    [Range(0, 10, ErrorMessage = "VaultAI:BillingClient:MaxRetryAttempts must be between 0 and 10.")]
    public int MaxRetryAttempts { get; set; } = 4;

    /// <summary>Gets or sets the name of the metric the daily report carries; it is part of the idempotency key.</summary>
    /// <value>The default is <c>active_users</c>.</value>
    public string Metric { get; set; } = "active_users";

    /// <summary>Gets or sets how many spooled usage events are sent in one <c>POST /api/usage-events</c> request.</summary>
    /// <value>The default is 500. Must be between 1 and 1,000 (the host's limit).</value>
    public int UsageBatchSize { get; set; } = 500;

    /// <summary>Gets or sets how often the background sender sends the usage event spool (it also sends at start, and on <see cref="IUsageRecorderClient.FlushUsageAsync"/>).</summary>
    /// <value>The default is 1 minute. Must be between 1 second and 1 day.</value>
    public TimeSpan UsageFlushInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets or sets how long a usage answer fetched from the billing host is served from the cache without a new call.</summary>
    /// <value>The default is 1 minute. Zero asks the host every time (the cache then only serves during an outage).</value>
    public TimeSpan UsageCacheLifetime { get; set; } = TimeSpan.FromMinutes(1);
}
