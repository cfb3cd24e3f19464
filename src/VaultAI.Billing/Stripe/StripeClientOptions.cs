namespace VaultAI.Billing.Stripe;

/// <summary>
/// Settings of the Stripe.net client VaultAI.Billing builds, bound from the <c>VaultAI:Billing:Stripe</c> configuration
/// section. Validated when the host starts. The API version is Stripe.net's pinned one
/// (<c>Stripe.StripeConfiguration.ApiVersion</c>, <c>2026-10-28.endive</c>): its typed models are made for it.
/// </summary>
public sealed class StripeClientOptions
{
    /// <summary>The configuration section these options are usually bound from.</summary>
    public const string SectionName = "VaultAI:Billing:Stripe";

    /// <summary>Gets or sets the Stripe secret (<c>sk_...</c>) or restricted (<c>rk_...</c>) API key.</summary>
    /// <value>The default is <see langword="null"/>; a key is required.</value>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the base address of Stripe's API.</summary>
    /// <value>The default is <c>https://api.stripe.com</c>.</value>
    public Uri ApiBase { get; set; } = new("https://api.stripe.com");

    /// <summary>Gets or sets the base address of Stripe's high-throughput meter event stream (API v2).</summary>
    /// <value>The default is <c>https://meter-events.stripe.com</c>.</value>
    public Uri MeterEventsBase { get; set; } = new("https://meter-events.stripe.com");

    /// <summary>Gets or sets how many times a failed call is retried (0 to 10).</summary>
    /// <value>The default is 2 retries, as Stripe's SDKs.</value>
    public int MaxRetries { get; set; } = 2;

    /// <summary>Gets or sets the timeout of one attempt (not of the whole call with its retries).</summary>
    /// <value>The default is 80 seconds, as Stripe.net.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(80);

    /// <summary>Gets or sets the delay before the first retry; it doubles for each further retry, with jitter.</summary>
    /// <value>The default is 0.5 seconds.</value>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(0.5);

    /// <summary>Gets or sets the longest backoff between two attempts.</summary>
    /// <value>The default is 5 seconds.</value>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets the longest <c>Retry-After</c> honoured; longer values are capped to it.</summary>
    /// <value>The default is 60 seconds.</value>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Describes the options without revealing the API key.</summary>
    /// <returns>A description safe to log.</returns>
    public override string ToString() =>
        $"StripeClientOptions {{ ApiKey = {(string.IsNullOrEmpty(ApiKey) ? "(not set)" : "(redacted)")}, ApiBase = {ApiBase}, " +
        $"MeterEventsBase = {MeterEventsBase}, MaxRetries = {MaxRetries}, Timeout = {Timeout}, " +
        $"InitialRetryDelay = {InitialRetryDelay}, MaxRetryDelay = {MaxRetryDelay}, MaxRetryAfter = {MaxRetryAfter} }}";
}
