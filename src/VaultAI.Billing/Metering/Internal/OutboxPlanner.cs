using Microsoft.Extensions.Options;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;

namespace VaultAI.Billing.Metering.Internal;

/// <summary>
/// Decides whether a report is billed and builds its outbox row, on the organization as the store's write sees it (the
/// store checks, in the write, that the organization has not changed since, and decides again if it has), so a report
/// and a concurrent link can never miss each other.
/// </summary>
internal sealed class OutboxPlanner(IOptionsMonitor<VaultAIBillingOptions> options, TimeProvider timeProvider)
{
    /// <summary>Stripe accepts meter events up to 35 days old; keep an hour of margin for the time a row may wait in the outbox.</summary>
    public static readonly TimeSpan StripeWindow = TimeSpan.FromDays(35) - TimeSpan.FromHours(1);

    public MeterEventOutboxMessage? Plan(Organization organization, UsageReport report)
    {
        var now = timeProvider.GetUtcNow();
        string? reason = null;
        var component = organization.PlanKey is { } planKey && options.CurrentValue.Plans.TryGetValue(planKey, out var plan)
            ? plan.FindMetered(report.Metric)
            : null;

        if (!organization.IsLinked)
        {
            reason = "The organization is not linked to Stripe yet.";
        }
        else if (organization.Status == OrganizationStatus.Canceled)
        {
            reason = "The subscription is canceled.";
        }
        else if (component is null)
        {
            reason = $"The plan '{organization.PlanKey}' does not meter '{report.Metric}'.";
        }
        else if (report.OccurredAt < now - StripeWindow)
        {
            reason = "The report is older than Stripe's 35-day window for meter events.";
        }

        report.Billable = reason is null;
        report.NotBillableReason = reason;
        if (reason is not null)
        {
            return null;
        }

        return new MeterEventOutboxMessage
        {
            Id = Guid.CreateVersion7(now),
            UsageReportId = report.Id,
            OrganizationId = organization.Id,
            EventName = component!.MeterEventName,
            StripeCustomerId = organization.StripeCustomerId!,
            Value = component.Aggregation == Plans.MeterAggregation.Count ? 1 : report.Quantity,
            Identifier = IdentifierFor(report.Id),
            Timestamp = report.OccurredAt > now ? now : report.OccurredAt,
            Status = OutboxStatus.Pending,
            NextAttemptAt = now,
            CreatedAt = now,
        };
    }

    /// <summary>The Stripe identifier of a report's meter event: deterministic, so every re-send is deduped by Stripe.</summary>
    public static string IdentifierFor(Guid reportId) => $"vaultai-usage-{reportId:N}";
}
