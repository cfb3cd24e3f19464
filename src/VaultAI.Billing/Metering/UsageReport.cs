namespace VaultAI.Billing.Metering;

/// <summary>One accepted usage report: a row of the usage ledger. Rows are never updated for billing, only annotated.</summary>
public sealed class UsageReport
{
    /// <summary>The report id returned to the instance.</summary>
    public Guid Id { get; set; }

    /// <summary>The reporting organization.</summary>
    public Guid OrganizationId { get; set; }

    /// <summary>The metric, for example <c>active_users</c>.</summary>
    public string Metric { get; set; } = "";

    /// <summary>The quantity reported (users, minutes, tokens...).</summary>
    public long Quantity { get; set; }

    /// <summary>When the usage happened, as the instance reported it.</summary>
    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>When the billing service received it.</summary>
    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>The idempotency key, unique per organization.</summary>
    public string IdempotencyKey { get; set; } = "";

    /// <summary>The route the report arrived on (<c>usage-report</c> or <c>meter-events</c>).</summary>
    public string Source { get; set; } = "";

    /// <summary>The deployment type the instance claimed (recorded only; billing uses the administrator's value).</summary>
    public string? ReportedDeploymentType { get; set; }

    /// <summary>Whether this report was (or will be) forwarded to Stripe.</summary>
    public bool Billable { get; set; }

    /// <summary>Why the report is not billable, when it is not (pending organization, outside Stripe's window...).</summary>
    public string? NotBillableReason { get; set; }
}
