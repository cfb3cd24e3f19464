using VaultAI.Billing.Organizations;
using VaultAI.Billing.Storage;
using VaultAI.Billing.Testing;

namespace BillingHost.Hosting;

/// <summary>
/// The embedded demo's time machine: moves the Stripe emulator's clock, and lets the grace periods of past-due
/// organizations elapse by the same amount. Grace periods are counted on the host's clock (real time), which the panel
/// does not move; without this, "advance a week" would show Stripe's retries but never the suspension a week of
/// unpaid invoices brings. Embedded mode only: production has no emulator and its grace periods run in real time.
/// </summary>
internal static class DemoClock
{
    /// <summary>Advances the emulator by <paramref name="by"/> and moves past-due organizations' grace periods back by as much.</summary>
    public static async Task AdvanceAsync(StripeEmulator emulator, IBillingStore store, TimeSpan by, CancellationToken cancellationToken)
    {
        await emulator.AdvanceTimeAsync(by, cancellationToken);

        // Organizations that became past due during this advance are reached by their webhook after this returns: their
        // grace period starts at the host's now, which is where it should start.
        var pastDue = await store.ListOrganizationsAsync(new OrganizationQuery(Status: OrganizationStatus.PastDue, Take: 500), cancellationToken);
        foreach (var organization in pastDue.Items)
        {
            await store.UpdateOrganizationAsync(organization.Id, current =>
            {
                if (current.Status != OrganizationStatus.PastDue || current.PastDueSince is not { } since)
                {
                    return false;
                }

                current.PastDueSince = since - by;
                return true;
            }, cancellationToken);
        }
    }
}
