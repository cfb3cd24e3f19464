namespace VaultAI.Billing.Subscriptions;

/// <summary>
/// The daily reconciliation: a background job that re-reads every subscription from Stripe and repairs what our store
/// missed (a lost webhook, a change made in the Stripe dashboard). Hosts may all enable it: a PostgreSQL advisory lock
/// lets one run at a time. Configured under <c>VaultAI:Billing:Reconciliation</c>.
/// </summary>
public sealed class ReconciliationOptions
{
    /// <summary>Whether this host schedules the job.</summary>
    /// <value>The default is <see langword="false"/>; the sample host turns it on.</value>
    public bool Enabled { get; set; }

    /// <summary>Time between two runs, from 1 minute to 7 days.</summary>
    /// <value>The default is 1 day.</value>
    public TimeSpan Interval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Time from the host's start to its first run, from 0 to 1 day.</summary>
    /// <value>The default is 5 minutes, so a deployment settles first.</value>
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Subscriptions read per Stripe call, from 1 to 100 (Stripe's largest page).</summary>
    /// <value>The default is 100.</value>
    public int PageSize { get; set; } = 100;

    /// <summary>Stripe calls per second the job allows itself, from 1 to 100, leaving room for everything else.</summary>
    /// <value>The default is 5 per second.</value>
    public int MaxRequestsPerSecond { get; set; } = 5;

    /// <summary>
    /// Time between two passes that make seat quantities follow their metric (<c>Plans:*:Seats:Metric</c>), from 10 seconds
    /// to 1 day, while the job is <see cref="Enabled"/>. A pass reads each such organization's period total and calls Stripe
    /// only for those whose value changed.
    /// </summary>
    /// <value>The default is 5 minutes.</value>
    public TimeSpan SeatsInterval { get; set; } = TimeSpan.FromMinutes(5);
}
