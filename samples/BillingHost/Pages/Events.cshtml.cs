using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using VaultAI.Billing;
using VaultAI.Billing.Entitlements;
using VaultAI.Billing.Events;
using VaultAI.Billing.Organizations;

namespace BillingHost.Pages;

/// <summary>The billing event log (filtered by organization and type, paged) and the suspended organizations.</summary>
public sealed class EventsModel(IBillingEventLog log, BillingAdministration admin, IOptionsMonitor<VaultAIBillingOptions> options, TimeProvider timeProvider) : PageModel
{
    /// <summary>Rows per page.</summary>
    public const int PageSize = 50;

    /// <summary>Only this organization's events (a UUID), when set.</summary>
    [BindProperty(SupportsGet = true, Name = "organization")]
    public string? Organization { get; set; }

    /// <summary>Only this event type, when set.</summary>
    [BindProperty(SupportsGet = true, Name = "type")]
    public string? Type { get; set; }

    /// <summary>The page (from 1).</summary>
    [BindProperty(SupportsGet = true, Name = "p")]
    public int PageNumber { get; set; } = 1;

    /// <summary>A filter that could not be used, shown to the administrator.</summary>
    public string? FilterError { get; private set; }

    /// <summary>The page of events.</summary>
    public BillingEventPage Events { get; private set; } = new([], 0);

    /// <summary>Past-due organizations beyond their grace period, with when it ended.</summary>
    public IReadOnlyList<(Organization Organization, EntitlementState State)> Suspended { get; private set; } = [];

    /// <summary>The event types, for the filter.</summary>
    public static IReadOnlyList<string> Types { get; } =
    [
        BillingEventTypes.Registered, BillingEventTypes.Linked, BillingEventTypes.PlanChanged, BillingEventTypes.TrialEnding,
        BillingEventTypes.PaymentFailed, BillingEventTypes.InvoicePaid, BillingEventTypes.PastDue, BillingEventTypes.Suspended,
        BillingEventTypes.Resumed, BillingEventTypes.Canceled, BillingEventTypes.TokenRotated, BillingEventTypes.QuotaWarning,
        BillingEventTypes.QuotaReached, BillingEventTypes.OverQuota,
    ];

    /// <summary>Loads the page.</summary>
    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Guid? organizationId = null;
        if (!string.IsNullOrWhiteSpace(Organization))
        {
            if (Guid.TryParse(Organization.Trim(), out var id))
            {
                organizationId = id;
            }
            else
            {
                FilterError = "The organization filter must be an organization id (a UUID).";
            }
        }

        var type = string.IsNullOrWhiteSpace(Type) ? null : Type.Trim();
        if (type is not null && !Types.Contains(type))
        {
            FilterError = (FilterError is null ? "" : FilterError + " ") + "Unknown event type.";
            type = null;
        }

        PageNumber = Math.Max(1, PageNumber);
        Events = await log.QueryAsync(new BillingEventQuery(organizationId, type, (PageNumber - 1) * PageSize, PageSize), cancellationToken);

        var settings = options.CurrentValue;
        var now = timeProvider.GetUtcNow();
        var pastDue = await admin.ListOrganizationsAsync(new VaultAI.Billing.Storage.OrganizationQuery(null, true, OrganizationStatus.PastDue, 0, 500), cancellationToken);
        Suspended = pastDue.Items
            .Select(o => (o, EntitlementRules.Evaluate(o, o.PlanKey is { } key && settings.Plans.TryGetValue(key, out var plan) ? plan : null, settings.Entitlements, now)))
            .Where(x => x.Item2.IsSuspended)
            .ToList();
    }
}
