using VaultAI.Billing.Metering;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Stripe;

namespace VaultAI.Billing;

/// <summary>Options of the billing service, bound from the <c>VaultAI:Billing</c> configuration section.</summary>
public sealed class VaultAIBillingOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "VaultAI:Billing";

    /// <summary>The plan catalog: plan key (for example <c>self-hosted</c>) to plan.</summary>
    public IDictionary<string, BillingPlan> Plans { get; set; } = new Dictionary<string, BillingPlan>(StringComparer.Ordinal);

    /// <summary>The metric that usage reports carry (the seeds' <c>user_count</c>); it must be a key of <see cref="Metrics"/>.</summary>
    /// <value>The default is <c>active_users</c>.</value>
    public string ReportMetric { get; set; } = "active_users";

    /// <summary>
    /// The metric catalog: key (for example <c>storage_gb</c>) to definition, bound from <c>VaultAI:Billing:Metrics:&lt;key&gt;</c>.
    /// Usage events may only name a metric of this catalog.
    /// </summary>
    /// <value>The default holds <c>active_users</c> (Last, whole numbers), the report metric.</value>
    public IDictionary<string, MetricDefinition> Metrics { get; set; } = new Dictionary<string, MetricDefinition>(StringComparer.Ordinal)
    {
        ["active_users"] = new() { DisplayName = "Active users", Unit = "users", Aggregation = MetricAggregation.Last, Decimals = 0 },
    };

    /// <summary>Limits of <c>POST /api/usage-events</c> and <see cref="IUsageRecorder"/>.</summary>
    public UsageEventsOptions UsageEvents { get; set; } = new();

    /// <summary>How metrics other than the report metric are rolled up into Stripe meter events (<c>VaultAI:Billing:Metering</c>).</summary>
    public MeteringOptions Metering { get; set; } = new();

    /// <summary>Trial days when linking does not say.</summary>
    /// <value>The default is 4 days.</value>
    public int DefaultTrialDays { get; set; } = 4;

    /// <summary>Whether registration links to Stripe at once or an administrator links by hand.</summary>
    /// <value>The default is <see cref="LinkingMode.Manual"/>.</value>
    public LinkingMode LinkingMode { get; set; } = LinkingMode.Manual;

    /// <summary>The plan used by <see cref="LinkingMode.Automatic"/> linking.</summary>
    public string? AutomaticPlan { get; set; }

    /// <summary>The deployment type recorded by <see cref="LinkingMode.Automatic"/> linking.</summary>
    /// <value>The default is <c>on-premise</c>.</value>
    public string AutomaticDeploymentType { get; set; } = "on-premise";

    /// <summary>Registration policy.</summary>
    public RegistrationOptions Registration { get; set; } = new();

    /// <summary>How instance tokens are checked and cached (<c>VaultAI:Billing:Credentials</c>).</summary>
    public Credentials.CredentialOptions Credentials { get; set; } = new();

    /// <summary>The meter-event dispatcher.</summary>
    public DispatcherOptions Dispatcher { get; set; } = new();

    /// <summary>Entitlements: pending organizations, the upgrade URL, the organization resolver of the endpoint filters.</summary>
    public Entitlements.EntitlementOptions Entitlements { get; set; } = new();

    /// <summary>Delivery of the billing event log to the host's handlers.</summary>
    public Events.BillingEventOptions Events { get; set; } = new();

    /// <summary>Webhook verification and processing.</summary>
    public WebhookOptions Webhooks { get; set; } = new();

    /// <summary>The Stripe client.</summary>
    public StripeClientOptions Stripe { get; set; } = new();

    /// <summary>The daily reconciliation of subscriptions with Stripe.</summary>
    public Subscriptions.ReconciliationOptions Reconciliation { get; set; } = new();

    /// <summary>The authorization policy that protects the admin routes; the host defines it.</summary>
    /// <value>The default is <c>VaultAI.Billing.Admin</c>.</value>
    public string AdminPolicy { get; set; } = "VaultAI.Billing.Admin";

    /// <summary>Largest accepted request body on the instance routes, in bytes.</summary>
    /// <value>The default is 65,536 bytes (64 KiB).</value>
    public int MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Largest accepted user count in one report.</summary>
    /// <value>The default is 10,000,000.</value>
    public long MaxUserCount { get; set; } = 10_000_000;

    /// <summary>
    /// The origins (scheme, host and port, for example <c>https://app.example.com</c>) that a self-service caller may send
    /// as Checkout or billing portal redirect URLs (<c>success_url</c>, <c>cancel_url</c>, <c>return_url</c>); any other URL
    /// is refused with 400, so the billing host never becomes an open redirect.
    /// </summary>
    /// <value>The default is empty: the self-service checkout and portal routes refuse every redirect URL until origins are set.</value>
    public IList<string> AllowedRedirectOrigins { get; set; } = [];
}

/// <summary>How tracked metrics are rolled up per window into Stripe meter events.</summary>
public sealed class MeteringOptions
{
    /// <summary>The roll-up window: one meter event per (organization, metric, window), plus corrections.</summary>
    /// <value>The default is one hour. Windows are aligned to the Unix epoch (UTC).</value>
    public TimeSpan RollupWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long after a window's end it stays open for events still on their way before it is sent.</summary>
    /// <value>The default is 5 minutes.</value>
    public TimeSpan RollupGrace { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>Limits of <c>POST /api/usage-events</c> and <see cref="Metering.IUsageRecorder"/>.</summary>
public sealed class UsageEventsOptions
{
    /// <summary>Most events in one batch (HTTP or in process).</summary>
    /// <value>The default is 1,000.</value>
    public int MaxEventsPerBatch { get; set; } = 1000;

    /// <summary>Largest accepted body of <c>POST /api/usage-events</c>, in bytes.</summary>
    /// <value>The default is 4,194,304 bytes (4 MiB): 1,000 events with full 2 KiB properties fit.</value>
    public int MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Most <c>POST /api/usage-events</c> requests one host reads and writes at once; the others wait their turn, their
    /// bodies held by the server's bounded request buffers. This bounds the memory that large batches in flight hold
    /// (sixteen 1,000-event batches at once raised a host's peak by about 90 MiB) and costs no throughput on a host whose
    /// cores are already busy. Read once at start.
    /// </summary>
    /// <value>The default, 0, means twice the processor count, at least 2.</value>
    public int MaxConcurrentRequests { get; set; }
}

/// <summary>How organizations get linked to Stripe.</summary>
public enum LinkingMode
{
    /// <summary>Registration creates a pending organization; an administrator links it.</summary>
    Manual,

    /// <summary>Registration also creates the Stripe customer and a trial subscription.</summary>
    Automatic,
}

/// <summary>Who may register an organization.</summary>
public sealed class RegistrationOptions
{
    /// <summary>
    /// When set, registration requires this key in the <c>X-Enrollment-Key</c> header. It only allows creating
    /// pending organizations. Keep it in configuration or a secret store, never in source.
    /// </summary>
    public string? EnrollmentKey { get; set; }
}

/// <summary>How usage is forwarded to Stripe.</summary>
public sealed class DispatcherOptions
{
    /// <summary>Whether the background dispatcher runs in this host.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>Rows claimed at a time.</summary>
    /// <value>The default is 100.</value>
    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// Stripe meter event calls per second for the whole account: every dispatcher on the same database shares
    /// this budget (PostgreSQL coordinates it), so adding hosts never multiplies it. With
    /// <see cref="MeterEventTransport.V1"/> a call carries one event; with <see cref="MeterEventTransport.V2Stream"/>
    /// a call carries up to 100. At most 1,000 for V1 and 10,000 for V2, Stripe's documented live-mode limits.
    /// In a sandbox, whose basic limit is 25 calls per second, set 20.
    /// </summary>
    /// <value>
    /// The default is <see langword="null"/>: 90 % of Stripe's documented limit for the transport, 900 calls per
    /// second for V1 and 9,000 for V2.
    /// </value>
    public int? MaxRequestsPerSecond { get; set; }

    /// <summary>The calls per second the dispatcher uses: <see cref="MaxRequestsPerSecond"/> or the transport's default.</summary>
    internal int EffectiveRequestsPerSecond => MaxRequestsPerSecond ?? (Transport == MeterEventTransport.V2Stream ? DefaultV2RequestsPerSecond : DefaultV1RequestsPerSecond);

    /// <summary>Stripe's documented live-mode limit of <c>POST /v1/billing/meter_events</c>, calls per second.</summary>
    internal const int StripeV1Limit = 1_000;

    /// <summary>Stripe's documented live-mode limit of the v2 meter event stream, requests per second.</summary>
    internal const int StripeV2Limit = 10_000;

    private const int DefaultV1RequestsPerSecond = StripeV1Limit * 9 / 10;
    private const int DefaultV2RequestsPerSecond = StripeV2Limit * 9 / 10;

    /// <summary>Meter events sent in parallel.</summary>
    /// <value>The default is 4.</value>
    public int Concurrency { get; set; } = 4;

    /// <summary>The Stripe API used to send meter events.</summary>
    /// <value>The default is <see cref="MeterEventTransport.V1"/>.</value>
    public MeterEventTransport Transport { get; set; } = MeterEventTransport.V1;

    /// <summary>How long a claim lasts before another dispatcher may take the row.</summary>
    /// <value>The default is 2 minutes.</value>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long the dispatcher sleeps when the outbox is empty.</summary>
    /// <value>The default is 2 seconds.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>First retry delay after a transient failure (doubled each attempt, with jitter).</summary>
    /// <value>The default is 5 seconds.</value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest retry delay.</summary>
    /// <value>The default is 30 minutes.</value>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(30);
}

/// <summary>Stripe meter event APIs.</summary>
public enum MeterEventTransport
{
    /// <summary><c>POST /v1/billing/meter_events</c>, one event a call.</summary>
    V1,

    /// <summary>The v2 meter event stream, batches of up to 100 with a session token.</summary>
    V2Stream,
}

/// <summary>Webhook options.</summary>
public sealed class WebhookOptions
{
    /// <summary>Signing secrets (<c>whsec_...</c>); several during a rotation.</summary>
    public IList<string> Secrets { get; set; } = [];

    /// <summary>Largest accepted difference between the signature's timestamp and now, both ways.</summary>
    /// <value>The default is 300 seconds.</value>
    public TimeSpan Tolerance { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>Whether this host retries failed events in the background.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool RetryInBackground { get; set; } = true;

    /// <summary>How often the background pass retries failed events.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many times an event whose failure might be transient (the database, Stripe) is tried before it is parked:
    /// kept, shown to administrators with the reason, answered 2xx so Stripe stops, and retried only by an administrator.
    /// An event that can never apply (malformed) is parked at once.
    /// </summary>
    /// <value>The default is 5 attempts.</value>
    public int MaxAttempts { get; set; } = 5;
}
