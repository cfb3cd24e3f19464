using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Events;
using VaultAI.Billing.Plans;
using VaultAI.Billing;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.SelfService;
using VaultAI.Billing.Webhooks;

namespace BillingHost.Pages.Organizations;

/// <summary>One organization: details, usage chart, reports, and the admin actions.</summary>
public sealed class DetailsModel(BillingAdministration admin, IBillingSelfService selfService, IBillingEventLog events, IOptionsMonitor<VaultAIBillingOptions> options, TimeProvider timeProvider) : PageModel
{
    /// <summary>The host's current time.</summary>
    public DateTimeOffset Now => timeProvider.GetUtcNow();

    /// <summary>Whether the organization does not exist (the page then says so, with a 404).</summary>
    public bool Missing { get; private set; }

    /// <summary>The organization's plan, if it has a known one.</summary>
    public BillingPlan? Plan { get; private set; }

    /// <summary>The organization's latest billing events, newest first.</summary>
    public IReadOnlyList<BillingEvent> Events { get; private set; } = [];

    /// <summary>The organization.</summary>
    public Organization Organization { get; private set; } = null!;

    /// <summary>Recent reports, newest first.</summary>
    public IReadOnlyList<UsageReport> Reports { get; private set; } = [];

    /// <summary>Invoices mirrored from Stripe, newest first.</summary>
    public IReadOnlyList<InvoiceRecord> Invoices { get; private set; } = [];

    /// <summary>The usage chart.</summary>
    public UsageChart Chart { get; private set; } = UsageChart.Empty;

    /// <summary>A token just issued by "rotate token", shown once: on the first page read after the rotation.</summary>
    public string? NewToken { get; private set; }

    /// <summary>The organization's credit balance and its movements (empty without a Stripe customer).</summary>
    public CreditBalance? Credits { get; private set; }

    /// <summary>Why the credit balance could not be read, if it could not.</summary>
    public string? CreditsError { get; private set; }

    /// <summary>The currency credit is granted in: the balance's, else the plan's.</summary>
    public string CreditCurrency => Credits?.Currency ?? Plan?.Currency ?? "eur";

    /// <summary>An action's failure.</summary>
    public string? ErrorMessage { get; private set; }

    /// <summary>Shows the organization.</summary>
    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        // TempData (an encrypted cookie) is removed once read: a reload no longer shows the token, and never rotates it.
        NewToken = TempData[NewTokenKey] as string;
        return await LoadAsync(id, cancellationToken) ? Page() : NotFoundPage();
    }

    private const string NewTokenKey = "NewToken";

    private const string ConfirmationMissing = "Tick the confirmation box: nothing was done.";

    /// <summary>Re-reads the subscription from Stripe.</summary>
    public Task<IActionResult> OnPostSyncAsync(Guid id, CancellationToken cancellationToken) =>
        ActAsync(id, () => admin.SyncFromStripeAsync(id, cancellationToken), "Synchronised from Stripe.", cancellationToken);

    /// <summary>Cancels the subscription now (only with the confirmation box ticked) or at the end of the period.</summary>
    public async Task<IActionResult> OnPostCancelAsync(Guid id, bool atPeriodEnd, bool confirm, CancellationToken cancellationToken) =>
        !atPeriodEnd && !confirm ? await RefuseAsync(id, cancellationToken) : await ActAsync(
            id,
            () => admin.CancelSubscriptionAsync(id, atPeriodEnd, cancellationToken),
            atPeriodEnd ? "The subscription will cancel at the end of the period." : "The subscription is canceled.",
            cancellationToken);

    /// <summary>
    /// Issues a new billing token (only with the confirmation box ticked), then redirects to the organization's page,
    /// which shows it once: a reload of that page shows the page without the token and does not rotate again.
    /// </summary>
    public async Task<IActionResult> OnPostRotateTokenAsync(Guid id, bool confirm, CancellationToken cancellationToken)
    {
        if (!confirm)
        {
            return await RefuseAsync(id, cancellationToken);
        }

        try
        {
            TempData[NewTokenKey] = await admin.RotateTokenAsync(id, cancellationToken);
        }
        catch (BillingException e) when (e.StatusCode == StatusCodes.Status404NotFound)
        {
            return NotFoundPage();
        }
        catch (BillingException e)
        {
            ErrorMessage = e.Message;
            return await LoadAsync(id, cancellationToken) ? Page() : NotFoundPage();
        }

        return Redirect($"/organizations/{id}");
    }

    /// <summary>An action posted without its confirmation: the page again with the reason, nothing done.</summary>
    private async Task<IActionResult> RefuseAsync(Guid id, CancellationToken cancellationToken)
    {
        ErrorMessage = ConfirmationMissing;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return await LoadAsync(id, cancellationToken) ? Page() : NotFoundPage();
    }

    private async Task<IActionResult> ActAsync(Guid id, Func<Task<Organization>> action, string success, CancellationToken cancellationToken)
    {
        try
        {
            await action();
            TempData["Message"] = success;
        }
        catch (BillingException e) when (e.StatusCode == StatusCodes.Status404NotFound)
        {
            return NotFoundPage();
        }
        catch (BillingException e)
        {
            ErrorMessage = e.Message;
            return await LoadAsync(id, cancellationToken) ? Page() : NotFoundPage();
        }

        return Redirect($"/organizations/{id}");
    }

    /// <summary>Opens a Stripe customer portal session for the organization and sends the admin to it.</summary>
    public async Task<IActionResult> OnPostPortalAsync(Guid id, CancellationToken cancellationToken)
    {
        try
        {
            var link = await admin.CreatePortalLinkAsync(id, $"{Request.Scheme}://{Request.Host}/organizations/{id}", cancellationToken);
            return Redirect(link.Url);
        }
        catch (BillingException e) when (e.StatusCode == StatusCodes.Status404NotFound)
        {
            return NotFoundPage();
        }
        catch (BillingException e)
        {
            TempData["Error"] = e.Message;
            return Redirect($"/organizations/{id}");
        }
    }

    /// <summary>
    /// Grants credit (a positive amount in major units, for example 12.50) or removes it (negative), only with the
    /// confirmation box ticked, then redirects to the page (a reload does not grant again).
    /// </summary>
    public async Task<IActionResult> OnPostCreditAsync(Guid id, string? amount, string? reason, bool confirm, CancellationToken cancellationToken)
    {
        if (!confirm)
        {
            return await RefuseAsync(id, cancellationToken);
        }

        if (!decimal.TryParse(amount, NumberStyles.Number, CultureInfo.InvariantCulture, out var major) || major == 0 || decimal.Round(major, 2) != major)
        {
            ErrorMessage = "Amount: type a non-zero amount in the currency's units with at most 2 decimals, for example 12.50 (negative removes credit). Nothing was granted.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return await LoadAsync(id, cancellationToken) ? Page() : NotFoundPage();
        }

        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFoundPage();
        }

        try
        {
            var grant = new CreditGrant((long)(major * 100m), CreditCurrency, reason?.Trim() ?? "");
            await selfService.GrantCreditAsync(id, grant, "admin:" + (User.Identity?.Name ?? "dashboard"), cancellationToken: cancellationToken);
        }
        catch (BillingException e) when (e.StatusCode == StatusCodes.Status404NotFound)
        {
            return NotFoundPage();
        }
        catch (BillingException e)
        {
            ErrorMessage = e.Message;
            Response.StatusCode = e.StatusCode is >= 400 and < 500 ? e.StatusCode : StatusCodes.Status502BadGateway;
            return await LoadAsync(id, cancellationToken) ? Page() : NotFoundPage();
        }

        TempData["Message"] = major > 0 ? $"Credit of {Format.Money(major * 100m, CreditCurrency)} granted." : $"Credit of {Format.Money(-major * 100m, CreditCurrency)} removed.";
        return Redirect($"/organizations/{id}");
    }

    /// <summary>An HTML page saying the organization does not exist, with status 404.</summary>
    private PageResult NotFoundPage()
    {
        Missing = true;
        Response.StatusCode = StatusCodes.Status404NotFound;
        return Page();
    }

    private async Task<bool> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        var organization = await admin.GetOrganizationAsync(id, cancellationToken);
        if (organization is null)
        {
            return false;
        }

        Organization = organization;
        Reports = await admin.GetRecentReportsAsync(id, 90, cancellationToken);
        Chart = UsageChart.From(Reports);
        Invoices = await admin.ListInvoicesAsync(id, 24, cancellationToken);
        Plan = organization.PlanKey is { } key && options.CurrentValue.Plans.TryGetValue(key, out var plan) ? plan : null;
        Events = (await events.QueryAsync(new BillingEventQuery(id, null, 0, 20), cancellationToken)).Items;
        Credits = null;
        CreditsError = null;
        if (organization.StripeCustomerId is not null)
        {
            try
            {
                Credits = await selfService.GetCreditsAsync(id, cancellationToken);
            }
            catch (BillingException e)
            {
                CreditsError = e.Message;
            }
        }

        return true;
    }
}

/// <summary>The inline SVG chart of reported user counts: one point per report, oldest on the left.</summary>
public sealed record UsageChart(IReadOnlyList<UsagePoint> Points, long Max, string FirstDay, string LastDay)
{
    /// <summary>No data.</summary>
    public static readonly UsageChart Empty = new([], 0, "", "");

    /// <summary>The view box width.</summary>
    public int Width => 720;

    /// <summary>The view box height.</summary>
    public int Height => 240;

    /// <summary>Plot area left edge.</summary>
    public int Left => 56;

    /// <summary>Plot area right edge.</summary>
    public int Right => Width - 16;

    /// <summary>Plot area top edge.</summary>
    public int Top => 16;

    /// <summary>Plot area bottom edge.</summary>
    public int Bottom => Height - 32;

    /// <summary>The line through the points.</summary>
    public string Polyline => string.Join(' ', Points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.X},{p.Y}")));

    /// <summary>Builds the chart from reports (any order).</summary>
    public static UsageChart From(IReadOnlyList<UsageReport> reports)
    {
        if (reports.Count == 0)
        {
            return Empty;
        }

        var ordered = reports.OrderBy(r => r.OccurredAt).ToList();
        var max = Math.Max(1, ordered.Max(r => r.Quantity));
        var first = ordered[0].OccurredAt;
        var span = (ordered[^1].OccurredAt - first).TotalSeconds;
        var chart = new UsageChart([], max, Format.Day(first), Format.Day(ordered[^1].OccurredAt));
        var points = ordered.Select(r =>
        {
            var x = span <= 0 ? (chart.Left + chart.Right) / 2.0 : chart.Left + ((r.OccurredAt - first).TotalSeconds / span * (chart.Right - chart.Left));
            var y = chart.Bottom - ((double)r.Quantity / max * (chart.Bottom - chart.Top));
            return new UsagePoint(Math.Round(x, 1), Math.Round(y, 1), r.Quantity, Format.Day(r.OccurredAt));
        }).ToList();
        return chart with { Points = points };
    }
}

/// <summary>One point of the chart.</summary>
public sealed record UsagePoint(double X, double Y, long Count, string Day);
