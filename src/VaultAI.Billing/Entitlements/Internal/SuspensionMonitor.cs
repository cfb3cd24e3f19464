using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Events;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Entitlements.Internal;

/// <summary>
/// Suspension is computed (past due beyond the grace days), so nothing writes it: this sweep notices it and records the
/// <c>suspended</c> event once per grace period, so hooks can stop the customer's services.
/// </summary>
internal sealed partial class SuspensionMonitor(
    IHostApplicationLifetime lifetime,
    IBillingStore store,
    IBillingEventLog eventLog,
    IOptionsMonitor<VaultAIBillingOptions> options,
    TimeProvider timeProvider,
    ILogger<SuspensionMonitor> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    /// <summary>Records the <c>suspended</c> event of every organization whose grace period is over; returns how many were new.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var now = timeProvider.GetUtcNow();
        var recorded = 0;
        for (var skip = 0; ; skip += 500)
        {
            var page = await store.ListOrganizationsAsync(new OrganizationQuery(Status: OrganizationStatus.PastDue, Skip: skip, Take: 500), cancellationToken).ConfigureAwait(false);
            foreach (var organization in page.Items)
            {
                var plan = organization.PlanKey is { } key && settings.Plans.TryGetValue(key, out var found) ? found : null;
                var state = EntitlementRules.Evaluate(organization, plan, settings.Entitlements, now);
                if (state.IsSuspended && await RecordAsync(eventLog, organization, state, cancellationToken).ConfigureAwait(false))
                {
                    recorded++;
                }
            }

            if (page.Items.Count < 500)
            {
                return recorded;
            }
        }
    }

    /// <summary>Records the organization's <c>suspended</c> event, once per grace period.</summary>
    internal static async Task<bool> RecordAsync(IBillingEventLog eventLog, Organization organization, EntitlementState state, CancellationToken cancellationToken) =>
        await eventLog.RecordAsync(Entry(organization, state), cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>The <c>suspended</c> event, keyed by the grace period it ends.</summary>
    internal static BillingEventEntry Entry(Organization organization, EntitlementState state) => new(
        BillingEventTypes.Suspended,
        organization.Id,
        BillingActors.System,
        new JsonObject { ["past_due_since"] = organization.PastDueSince, ["grace_period_end"] = state.GracePeriodEnd },
        $"suspended:{organization.Id:N}:{(organization.PastDueSince ?? organization.UpdatedAt).ToUnixTimeSeconds()}");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await Diagnostics.HostStarted.WaitAsync(lifetime, stoppingToken).ConfigureAwait(false))
        {
            return;
        }

        // A real-time cadence on purpose; whether a grace period is over follows the injected clock.
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await SweepAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogSweepFailed(logger, exception);
            }
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 1604, Level = LogLevel.Error, Message = "The suspension sweep failed; it runs again in a minute")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
