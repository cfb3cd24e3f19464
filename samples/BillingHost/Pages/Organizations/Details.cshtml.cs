using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using VaultAI.Billing.EntityFramework;
using VaultAI.Billing.Events;
using VaultAI.Billing.Plans;
using VaultAI.Billing;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.SelfService;
using VaultAI.Billing.Webhooks;

namespace BillingHost.Pages.Organizations;

/// <summary>One organization: details, usage chart, reports, and the admin actions.</summary>
public sealed class DetailsModel(BillingAdministration admin, IBillingSelfService selfService, BillingDbContext database, IBillingEventLog events, IOptionsMonitor<VaultAIBillingOptions> options, TimeProvider timeProvider) : PageModel
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

    /// <summary>One chart per catalog metric with usage in the last <see cref="ChartDays"/> days (the report metric is <see cref="Chart"/>).</summary>
    public IReadOnlyList<UsageChart> MetricCharts { get; private set; } = [];

    /// <summary>How many days the metric charts show.</summary>
    public const int ChartDays = 35;

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

    private async Task<IReadOnlyList<UsageChart>> LoadMetricChartsAsync(Guid id, Organization organization, CancellationToken cancellationToken)
    {
        // The latest ledger rows (newest ids first), filtered by date here: SQLite cannot compare dates with offsets.
        var since = Now.AddDays(-ChartDays);
        var rows = await database.UsageEvents.AsNoTracking()
            .Where(e => e.OrganizationId == id)
            .OrderByDescending(e => e.Id)
            .Take(20_000)
            .ToListAsync(cancellationToken);
        var settings = options.CurrentValue;
        var plan = organization.PlanKey is { } key && settings.Plans.TryGetValue(key, out var found) ? found : null;
        return [.. settings.Metrics
            .Where(m => !string.Equals(m.Key, settings.ReportMetric, StringComparison.Ordinal))
            .OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => (Metric: m, Events: rows.Where(e => e.Metric == m.Key && e.OccurredAt >= since).ToList()))
            .Where(m => m.Events.Count > 0)
            .Select(m => UsageChart.Build(
                "chart-" + m.Metric.Key,
                (m.Metric.Value.DisplayName.Length > 0 ? m.Metric.Value.DisplayName : m.Metric.Key)
                    + (m.Metric.Value.Aggregation is MetricAggregation.Sum or MetricAggregation.Count ? " (running total of the period)" : ""),
                m.Metric.Value.Unit,
                UsageChart.Daily(m.Events, m.Metric.Value.Aggregation, at => UsagePeriod.For(organization, at).Start),
                LimitOf(plan, m.Metric.Key)))];
    }

    /// <summary>The plan's limit of a metric, or <see langword="null"/> when unlimited.</summary>
    private static decimal? LimitOf(BillingPlan? plan, string metric)
    {
        if (plan is null)
        {
            return null;
        }

        if (plan.Metrics.TryGetValue(metric, out var planMetric) && planMetric.Limit is { } limit)
        {
            return limit < 0 ? null : limit;
        }

        return plan.Limits.TryGetValue(metric, out var shorthand) && shorthand >= 0 ? shorthand : null;
    }

    // ---- Checkout link (an organization without a subscription) ----

    private const string CheckoutUrlKey = "CheckoutUrl";

    private string? _checkoutUrl;

    /// <summary>
    /// The Checkout page just created by <see cref="OnPostCheckoutAsync"/>, on the first page read after it (TempData is
    /// removed once read: a reload shows the page without it and creates nothing).
    /// </summary>
    public string? CheckoutUrl => _checkoutUrl ??= TempData[CheckoutUrlKey] as string;

    /// <summary>The plans a customer can check out (the paid ones), by key.</summary>
    public IReadOnlyList<KeyValuePair<string, BillingPlan>> CheckoutPlans =>
        [.. options.CurrentValue.Plans.Where(p => !p.Value.IsFree).OrderBy(p => p.Key, StringComparer.Ordinal)];

    /// <summary>
    /// Creates a Stripe Checkout session for the chosen plan (the library's admin checkout: paying links the
    /// organization, by webhook) and redirects to the page, which shows its URL once. Creating it again with the same
    /// choices gives the same session back.
    /// </summary>
    public async Task<IActionResult> OnPostCheckoutAsync(Guid id, string? plan, string? interval, string? deploymentType, CancellationToken cancellationToken)
    {
        var page = $"{Request.Scheme}://{Request.Host}/organizations/{id}";
        try
        {
            var organization = await admin.GetOrganizationAsync(id, cancellationToken);
            if (organization is null)
            {
                return NotFoundPage();
            }

            var link = await admin.CreateCheckoutLinkAsync(
                id,
                new VaultAI.Billing.Linking.CheckoutRequest
                {
                    PlanKey = plan ?? "",
                    DeploymentType = deploymentType ?? "",
                    BillingInterval = interval,
                    CustomerEmail = organization.AdminEmail,
                    SuccessUrl = page,
                    CancelUrl = page,
                },
                cancellationToken);
            TempData[CheckoutUrlKey] = link.Url;
            TempData["Message"] = "Checkout link created: send it to the customer; paying links the organization.";
        }
        catch (BillingException e) when (e.StatusCode == StatusCodes.Status404NotFound)
        {
            return NotFoundPage();
        }
        catch (BillingException e)
        {
            TempData["Error"] = "No checkout link: " + e.Message;
        }

        return Redirect($"/organizations/{id}");
    }

    // ---- end of checkout link ----

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
        MetricCharts = await LoadMetricChartsAsync(id, organization, cancellationToken);
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

/// <summary>
/// An inline SVG line chart of one metric over time: dates on the x axis, the quantity with its unit on the y axis (at
/// least three ticks each), and the plan's limit as a line when there is one.
/// </summary>
public sealed record UsageChart(string Id, string Title, string Unit, IReadOnlyList<UsagePoint> Points, decimal Max, decimal? Limit)
{
    /// <summary>No data.</summary>
    public static readonly UsageChart Empty = new("usage-chart", "", "", [], 0, null);

    /// <summary>The view box width.</summary>
    public int Width => 720;

    /// <summary>The view box height.</summary>
    public int Height => 260;

    /// <summary>Plot area left edge.</summary>
    public int Left => 72;

    /// <summary>Plot area right edge.</summary>
    public int Right => Width - 16;

    /// <summary>Plot area top edge.</summary>
    public int Top => 24;

    /// <summary>Plot area bottom edge.</summary>
    public int Bottom => Height - 48;

    /// <summary>The line through the points.</summary>
    public string Polyline => string.Join(' ', Points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.X},{p.Y}")));

    /// <summary>The y ticks: 0, half the top and the top of the scale, each with its height.</summary>
    public IReadOnlyList<(double Y, string Label)> YTicks =>
        [.. new[] { 0m, Max / 2, Max }.Select(v => (YOf(v), Number(v)))];

    /// <summary>The x ticks: the first, middle and last day charted, each with its position.</summary>
    public IReadOnlyList<(double X, string Label)> XTicks =>
        Points.Count == 0 ? [] : [.. new[] { Points[0], Points[Points.Count / 2], Points[^1] }.DistinctBy(p => p.Day).Select(p => (p.X, p.Day))];

    /// <summary>The height of the limit line, when the plan has a limit.</summary>
    public double? LimitY => Limit is { } limit ? YOf(limit) : null;

    /// <summary>The y axis label: the unit.</summary>
    public string YLabel => Unit.Length > 0 ? Unit : "quantity";

    /// <summary>A quantity as shown on the chart.</summary>
    public static string Number(decimal value) => value.ToString("#,##0.##", CultureInfo.InvariantCulture);

    private double YOf(decimal value) => Math.Round(Bottom - ((double)(Max == 0 ? 0 : value / Max) * (Bottom - Top)), 1);

    /// <summary>Builds the user count chart from reports (any order): one point per report.</summary>
    public static UsageChart From(IReadOnlyList<UsageReport> reports) =>
        reports.Count == 0 ? Empty : Build("usage-chart", "Active users", "users", [.. reports.Select(r => (r.OccurredAt, (decimal)r.Quantity))], null);

    /// <summary>Builds a chart from points (any order), scaled so that the limit, if any, is visible.</summary>
    public static UsageChart Build(string id, string title, string unit, IReadOnlyList<(DateTimeOffset At, decimal Quantity)> values, decimal? limit)
    {
        var ordered = values.OrderBy(v => v.At).ToList();
        var max = ordered.Count == 0 ? 1 : Math.Max(ordered.Max(v => v.Quantity), limit ?? 0);
        max = max <= 0 ? 1 : NiceCeiling(max);
        var chart = new UsageChart(id, title, unit, [], max, limit);
        if (ordered.Count == 0)
        {
            return chart;
        }

        var first = ordered[0].At;
        var span = (ordered[^1].At - first).TotalSeconds;
        var points = ordered.Select(v =>
        {
            var x = span <= 0 ? (chart.Left + chart.Right) / 2.0 : chart.Left + ((v.At - first).TotalSeconds / span * (chart.Right - chart.Left));
            return new UsagePoint(Math.Round(x, 1), chart.YOf(v.Quantity), v.Quantity, Format.Day(v.At));
        }).ToList();
        return chart with { Points = points };
    }

    /// <summary>
    /// One point per day of a metric's ledger events, as the metric aggregates them: the day's sum (or count) for
    /// <c>Sum</c>/<c>Count</c>, the day's latest value for <c>Last</c>, its largest for <c>Max</c>.
    /// </summary>
    /// For <c>Sum</c>/<c>Count</c> the days add up to a running total of the billing period (restarting at each period
    /// start), so that the plan's limit, which is per period, can be drawn against it.
    public static IReadOnlyList<(DateTimeOffset At, decimal Quantity)> Daily(IEnumerable<UsageEventRecord> events, MetricAggregation aggregation, Func<DateTimeOffset, DateTimeOffset> periodStart)
    {
        var days = events.GroupBy(e => e.OccurredAt.UtcDateTime.Date).OrderBy(g => g.Key).Select(g => (At: new DateTimeOffset(g.Key, TimeSpan.Zero).AddHours(12), Quantity: aggregation switch
        {
            MetricAggregation.Count => g.Count(),
            MetricAggregation.Last => g.MaxBy(e => e.OccurredAt)!.Quantity,
            MetricAggregation.Max => g.Max(e => e.Quantity),
            _ => g.Sum(e => e.Quantity),
        })).ToList();
        if (aggregation is not (MetricAggregation.Sum or MetricAggregation.Count))
        {
            return days;
        }

        var running = new List<(DateTimeOffset, decimal)>();
        DateTimeOffset? period = null;
        var total = 0m;
        foreach (var (at, quantity) in days)
        {
            var start = periodStart(at);
            total = start == period ? total + quantity : quantity;
            period = start;
            running.Add((at, total));
        }

        return running;
    }

    private static decimal NiceCeiling(decimal value)
    {
        var magnitude = (decimal)Math.Pow(10, Math.Floor(Math.Log10((double)value)));
        foreach (var step in new[] { 1m, 2m, 2.5m, 5m, 10m })
        {
            if (value <= step * magnitude)
            {
                return step * magnitude;
            }
        }

        return 10 * magnitude;
    }
}

/// <summary>One point of a chart.</summary>
public sealed record UsagePoint(double X, double Y, decimal Quantity, string Day)
{
    /// <summary>The quantity as text (the user chart's <c>data-count</c>).</summary>
    public string Count => UsageChart.Number(Quantity).Replace(",", "", StringComparison.Ordinal);
}
