using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using VaultAI.Billing;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Storage;
using VaultAI.Billing.Subscriptions;
using VaultAI.Billing.Webhooks;
using VaultAI.Billing.Testing;
using BillingHost.Hosting;

namespace BillingHost.Pages;

/// <summary>The dashboard: counts, pending and linked organizations (paged, searchable), MRR, past due, failures.</summary>
public sealed class IndexModel(BillingAdministration admin, SubscriptionLifecycle lifecycle, RevenueHistory history, IOptionsMonitor<VaultAIBillingOptions> options, HostMode mode, TimeProvider timeProvider) : PageModel
{
    /// <summary>How many days the revenue chart shows, today included.</summary>
    public const int RevenueChartDays = 90;

    /// <summary>Rows per table page.</summary>
    public const int PageSize = 25;

    /// <summary>The search text.</summary>
    [BindProperty(SupportsGet = true, Name = "q")]
    public string? Search { get; set; }

    /// <summary>The page of the pending table (from 1).</summary>
    [BindProperty(SupportsGet = true, Name = "pp")]
    public int PendingPage { get; set; } = 1;

    /// <summary>The page of the linked table (from 1).</summary>
    [BindProperty(SupportsGet = true, Name = "lp")]
    public int LinkedPage { get; set; } = 1;

    /// <summary>All organizations.</summary>
    public int Total { get; private set; }

    /// <summary>Linked organizations.</summary>
    public int LinkedCount { get; private set; }

    /// <summary>Pending organizations.</summary>
    public int PendingCount { get; private set; }

    /// <summary>The pending table's page.</summary>
    public OrganizationPage Pending { get; private set; } = null!;

    /// <summary>The linked table's page.</summary>
    public OrganizationPage Linked { get; private set; } = null!;

    /// <summary>Monthly recurring revenue per currency and per plan, from what subscriptions bill.</summary>
    public RevenueSummary Revenue { get; private set; } = new([], []);

    /// <summary>The MRR and potential MRR per day of the last <see cref="RevenueChartDays"/> days, one chart per currency.</summary>
    public IReadOnlyList<RevenueChart> RevenueCharts { get; private set; } = [];

    /// <summary>Past-due organizations.</summary>
    public IReadOnlyList<Organization> PastDue { get; private set; } = [];

    /// <summary>Failed meter events.</summary>
    public IReadOnlyList<MeterEventOutboxMessage> FailedMeterEvents { get; private set; } = [];

    /// <summary>How many meter events failed.</summary>
    public int FailedMeterEventCount { get; private set; }

    /// <summary>Stripe events whose processing failed or that are parked, newest first.</summary>
    public IReadOnlyList<WebhookInboxEvent> FailedWebhooks { get; private set; } = [];

    /// <summary>How many Stripe events failed.</summary>
    public int FailedWebhookCount { get; private set; }

    /// <summary>How many Stripe events are parked (they can never apply as sent).</summary>
    public int ParkedWebhookCount { get; private set; }

    /// <summary>The Stripe test clock panel (embedded mode only; <see langword="null"/> otherwise).</summary>
    public TestClockPanel? TestClock { get; private set; }

    /// <summary>Loads the dashboard.</summary>
    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        PendingPage = Math.Max(1, PendingPage);
        LinkedPage = Math.Max(1, LinkedPage);
        // A search box is free text, but PostgreSQL refuses text with NUL (and control characters never match a name).
        var search = string.IsNullOrWhiteSpace(Search) ? null : new string(Search.Trim().Where(c => !char.IsControl(c)).Take(200).ToArray());
        Pending = await admin.ListOrganizationsAsync(new OrganizationQuery(search, false, null, (PendingPage - 1) * PageSize, PageSize), cancellationToken);
        Linked = await admin.ListOrganizationsAsync(new OrganizationQuery(search, true, null, (LinkedPage - 1) * PageSize, PageSize), cancellationToken);
        (Total, LinkedCount, PendingCount) = (Pending.Total, Pending.Linked, Pending.Pending);
        PastDue = (await admin.ListOrganizationsAsync(new OrganizationQuery(null, true, OrganizationStatus.PastDue, 0, 100), cancellationToken)).Items;
        Revenue = await lifecycle.GetRevenueAsync(cancellationToken);
        // Past days as recorded; today as the cards above show it (the recorded row may be up to an hour old).
        var today = history.Today;
        var from = today.AddDays(-(RevenueChartDays - 1));
        var recorded = await history.GetAsync(from, today, cancellationToken);
        RevenueCharts = RevenueChart.For(recorded.Where(s => s.Day != today).Concat(history.SnapshotsOf(Revenue)), from, today);
        FailedMeterEvents = await admin.ListMeterEventsAsync(OutboxStatus.Failed, 50, cancellationToken);
        var counts = await admin.CountMeterEventsAsync(cancellationToken);
        FailedMeterEventCount = counts.TryGetValue(OutboxStatus.Failed, out var failed) ? failed : 0;
        var failedWebhookRows = await admin.ListWebhookEventsAsync(WebhookEventStatus.Failed, 50, cancellationToken);
        var parkedWebhookRows = await admin.ListWebhookEventsAsync(WebhookEventStatus.Parked, 50, cancellationToken);
        FailedWebhooks = [.. failedWebhookRows.Concat(parkedWebhookRows).OrderByDescending(e => e.ReceivedAt).ThenByDescending(e => e.Id, StringComparer.Ordinal).Take(50)];
        var webhookCounts = await admin.CountWebhookEventsAsync(cancellationToken);
        FailedWebhookCount = webhookCounts.TryGetValue(WebhookEventStatus.Failed, out var failedWebhooks) ? failedWebhooks : 0;
        ParkedWebhookCount = webhookCounts.TryGetValue(WebhookEventStatus.Parked, out var parkedWebhooks) ? parkedWebhooks : 0;
        if (Emulator() is { } emulator)
        {
            var linked = await admin.ListOrganizationsAsync(new OrganizationQuery(null, true, null, 0, 200), cancellationToken);
            var failing = emulator.State.Customers.Where(c => c.PaymentOutcome == PaymentOutcome.Fails).Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
            TestClock = new TestClockPanel(
                emulator.Clock.GetUtcNow(),
                [.. linked.Items.Where(o => o.StripeCustomerId is not null).Select(o => new TestClockOrganization(o.Id, o.Name, failing.Contains(o.StripeCustomerId!)))]);
        }
    }

    /// <summary>Moves the embedded Stripe emulator's clock forward by a day, a week or a month, firing what Stripe would (trial ends, invoices, retries) and delivering the webhooks.</summary>
    public async Task<IActionResult> OnPostAdvanceClockAsync(string? by, CancellationToken cancellationToken)
    {
        if (Emulator() is not { } emulator)
        {
            return NotFound();
        }

        var now = emulator.Clock.GetUtcNow();
        var target = by switch
        {
            "day" => now.AddDays(1),
            "week" => now.AddDays(7),
            "month" => now.AddMonths(1),
            _ => (DateTimeOffset?)null,
        };
        if (target is not { } to)
        {
            TempData["Error"] = "Choose how far to move the Stripe clock: a day, a week or a month.";
            return RedirectToPage();
        }

        await DemoClock.AdvanceAsync(emulator, HttpContext.RequestServices.GetRequiredService<IBillingStore>(), to - now, cancellationToken);
        // What Stripe did (trials ended, invoices paid or not) moved the MRR: today's snapshot records it now, not within the hour.
        await history.RecordAsync(cancellationToken);
        TempData["Message"] = $"Stripe clock moved forward one {by}: it is now {Format.When(emulator.Clock.GetUtcNow())}.";
        return RedirectToPage();
    }

    /// <summary>Makes the emulator's charges of one organization fail from now on (its next invoice payment and retries), or succeed again.</summary>
    public async Task<IActionResult> OnPostPaymentOutcomeAsync(Guid organizationId, bool fail, CancellationToken cancellationToken)
    {
        if (Emulator() is not { } emulator)
        {
            return NotFound();
        }

        var organization = await admin.GetOrganizationAsync(organizationId, cancellationToken);
        if (organization?.StripeCustomerId is not { } customerId || !emulator.State.Customers.Any(c => c.Id == customerId))
        {
            TempData["Error"] = "That organization has no customer in the Stripe emulator.";
            return RedirectToPage();
        }

        emulator.SetPaymentOutcome(customerId, fail ? PaymentOutcome.Fails : PaymentOutcome.Succeeds);
        TempData["Message"] = fail
            ? $"The next payments of {organization.Name} ({organization.Id}) will fail."
            : $"The payments of {organization.Name} ({organization.Id}) succeed again.";
        return RedirectToPage();
    }

    private StripeEmulator? Emulator() =>
        mode.Embedded ? HttpContext.RequestServices.GetService<EmbeddedStripe>()?.Emulator : null;

    /// <summary>Processes one failed Stripe event again.</summary>
    public async Task<IActionResult> OnPostRetryWebhookAsync(string eventId, CancellationToken cancellationToken)
    {
        try
        {
            var status = await admin.RetryWebhookEventAsync(eventId, cancellationToken);
            TempData["Message"] = $"Stripe event {eventId} processed again: {status}.";
        }
        catch (BillingException e)
        {
            TempData["Error"] = $"Stripe event {eventId} failed again: {e.Message}";
        }

        return RedirectToPage();
    }

    /// <summary>Puts one failed meter event back in the queue.</summary>
    public async Task<IActionResult> OnPostRetryMeterEventAsync(Guid id, CancellationToken cancellationToken)
    {
        var retried = await admin.RetryFailedMeterEventsAsync(id, cancellationToken);
        TempData[retried > 0 ? "Message" : "Error"] = retried > 0 ? "The meter event is queued again." : "That meter event is no longer failed.";
        return RedirectToPage();
    }

    /// <summary>Puts every failed meter event back in the queue.</summary>
    public async Task<IActionResult> OnPostRetryAllMeterEventsAsync(CancellationToken cancellationToken)
    {
        var retried = await admin.RetryFailedMeterEventsAsync(null, cancellationToken);
        TempData["Message"] = string.Create(CultureInfo.InvariantCulture, $"{retried} meter event(s) queued again.");
        return RedirectToPage();
    }

    /// <summary>Whether another organization on this page has the same name (then its id is shown too).</summary>
    public bool NameRepeats(Organization organization) =>
        Pending.Items.Concat(Linked.Items).Count(o => string.Equals(o.Name, organization.Name, StringComparison.OrdinalIgnoreCase)) > 1;

    /// <summary>The plan's interval and price, e.g. <c>monthly · 20.00 EUR</c> or <c>monthly · 4.00 EUR per user</c>.</summary>
    public string PlanPrice(Organization organization) =>
        organization.PlanKey is { } key && options.CurrentValue.Plans.TryGetValue(key, out var plan) ? PlanPrice(plan, organization.BillingInterval) : "";

    /// <summary>The interval and price of a plan.</summary>
    public static string PlanPrice(BillingPlan plan, string? interval)
    {
        var yearly = string.Equals(interval, "yearly", StringComparison.OrdinalIgnoreCase) || string.Equals(interval, "year", StringComparison.OrdinalIgnoreCase);
        var label = yearly ? "yearly" : "monthly";
        if (plan.IsFree)
        {
            return label + " · free";
        }

        var amount = yearly ? plan.YearlyAmount : plan.MonthlyAmount;
        var unit = yearly ? plan.YearlyUnitAmount : plan.MonthlyUnitAmount;
        return amount > 0 ? $"{label} · {Format.Money(amount, plan.Currency)}"
            : unit > 0 ? $"{label} · {Format.Money(unit, plan.Currency)} per user"
            : label;
    }

    /// <summary>How long an organization has not reported, when it is a day or more; empty otherwise.</summary>
    public string Silence(Organization organization) => SilenceOf(organization, timeProvider.GetUtcNow());

    /// <summary>"silent for N days" when the last report is a day old or more (or there is none).</summary>
    public static string SilenceOf(Organization organization, DateTimeOffset now)
    {
        if (organization.LastReportAt is not { } last)
        {
            return "never reported";
        }

        var days = (int)(now - last).TotalDays;
        return days >= 1 ? string.Create(CultureInfo.InvariantCulture, $"silent for {days} day{(days == 1 ? "" : "s")}") : "";
    }

    /// <summary>The display name of a plan key.</summary>
    public string PlanName(string? planKey) =>
        planKey is not null && options.CurrentValue.Plans.TryGetValue(planKey, out var plan) && plan.DisplayName.Length > 0 ? plan.DisplayName : planKey ?? "—";
}

/// <summary>The Stripe test clock panel of embedded mode.</summary>
/// <param name="StripeNow">The emulator's current time.</param>
/// <param name="Organizations">The linked organizations whose payments can be made to fail.</param>
public sealed record TestClockPanel(DateTimeOffset StripeNow, IReadOnlyList<TestClockOrganization> Organizations);

/// <summary>An organization in the test clock panel.</summary>
/// <param name="Id">The organization id.</param>
/// <param name="Name">The organization name.</param>
/// <param name="PaymentsFail">Whether the emulator fails its charges.</param>
public sealed record TestClockOrganization(Guid Id, string Name, bool PaymentsFail);

/// <summary>A table's pager.</summary>
public sealed record PagerModel(string Parameter, int Page, int Matching, int PageSize, string? Search, int PendingPage, int LinkedPage)
{
    /// <summary>How many pages.</summary>
    public int Pages => Math.Max(1, (Matching + PageSize - 1) / PageSize);

    /// <summary>The link to a page of this table, keeping the other table's page and the search.</summary>
    public string Link(int page)
    {
        var pp = Parameter == "pp" ? page : PendingPage;
        var lp = Parameter == "lp" ? page : LinkedPage;
        var q = string.IsNullOrEmpty(Search) ? "" : "&q=" + Uri.EscapeDataString(Search);
        return string.Create(CultureInfo.InvariantCulture, $"/?pp={pp}&lp={lp}{q}");
    }
}
