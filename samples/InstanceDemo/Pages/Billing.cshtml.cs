using System.Globalization;
using InstanceDemo.Demo;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Client;

namespace InstanceDemo.Pages;

/// <summary>
/// The instance admin's Billing page: plan and status, usage against limits, invoices, payment methods and credits,
/// with Upgrade (Stripe Checkout) and Manage billing (Stripe's billing portal). Every piece comes from the billing
/// host through the client; a piece the host cannot give is reported on the page, and the rest still shows.
/// </summary>
public sealed class BillingModel(IVaultAIBillingClient billing, IUsageRecorderClient usage, IOptions<DemoOptions> options) : PageModel
{
    /// <summary>Gets the organization's status (cached by the client, so it shows even while the host is down).</summary>
    public OrganizationStatus? Status { get; private set; }

    /// <summary>Gets the subscription: plan, interval, period, next invoice.</summary>
    public SubscriptionSummary? Subscription { get; private set; }

    /// <summary>Gets the current period's usage per metric.</summary>
    public OrganizationUsage? Usage { get; private set; }

    /// <summary>Gets the newest invoices.</summary>
    public InvoicePage? Invoices { get; private set; }

    /// <summary>Gets the payment methods on file.</summary>
    public IReadOnlyList<PaymentMethodSummary>? PaymentMethods { get; private set; }

    /// <summary>Gets the credit balance and its history.</summary>
    public CreditBalance? Credits { get; private set; }

    /// <summary>Gets the plans the Upgrade form offers.</summary>
    public IList<string> UpgradePlans => options.Value.UpgradePlans;

    /// <summary>Gets what could not be loaded or done.</summary>
    public IList<string> Errors { get; } = [];

    /// <summary>Gets a notice about the last action (back from Checkout, a plan changed in place).</summary>
    public string? Notice { get; private set; }

    /// <summary>Gets the plan key, from the subscription or else from the status.</summary>
    public string? PlanKey => Subscription?.PlanType ?? Status?.PlanType;

    /// <summary>Gets the status, from the subscription or else from the status route.</summary>
    public string? PlanStatus => Subscription?.Status ?? Status?.SubscriptionStatus;

    /// <summary>Formats an amount in minor units (two decimals: the demo's currencies have cents).</summary>
    /// <param name="minor">The amount in minor units.</param>
    /// <param name="currency">The ISO currency code.</param>
    /// <returns>For example <c>12.00 EUR</c>.</returns>
    public static string Money(long minor, string? currency) =>
        string.Create(CultureInfo.InvariantCulture, $"{minor / 100m:0.00} {currency?.ToUpperInvariant()}");

    /// <summary>Loads every section.</summary>
    /// <param name="checkout"><c>success</c> or <c>canceled</c> when Stripe Checkout sent the admin back.</param>
    /// <param name="changed">The plan key when an upgrade was applied in place.</param>
    /// <param name="error">What went wrong with the last action.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task OnGetAsync([FromQuery] string? checkout, [FromQuery] string? changed, [FromQuery] string? error, CancellationToken cancellationToken)
    {
        Notice = (checkout, changed) switch
        {
            ("success", _) => "Thank you! Your payment details were accepted; the new plan shows here once Stripe has confirmed it (reload in a few seconds).",
            ("canceled", _) => "Checkout was canceled; nothing changed.",
            (_, { Length: > 0 }) => $"Your plan was changed to {changed}, with the card on file.",
            _ => null,
        };
        if (!string.IsNullOrEmpty(error))
        {
            Errors.Add(error);
        }

        Status = await LoadAsync("status", billing.GetStatusAsync, cancellationToken);
        Subscription = await LoadAsync("subscription", billing.GetSubscriptionAsync, cancellationToken);
        Usage = await LoadAsync("usage", usage.GetUsageAsync, cancellationToken);
        Invoices = await LoadAsync("invoices", ct => billing.GetInvoicesAsync(limit: 10, cancellationToken: ct), cancellationToken);
        PaymentMethods = await LoadAsync("payment methods", billing.GetPaymentMethodsAsync, cancellationToken);
        Credits = await LoadAsync("credits", billing.GetCreditsAsync, cancellationToken);
    }

    /// <summary>Upgrade: sends the admin to Stripe Checkout, or reports the plan changed in place with the card on file.</summary>
    /// <param name="plan">The plan key.</param>
    /// <param name="interval"><c>monthly</c> or <c>yearly</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A redirect to Checkout, or back to this page.</returns>
    public async Task<IActionResult> OnPostUpgradeAsync([FromForm] string? plan, [FromForm] string? interval, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(plan) || !UpgradePlans.Contains(plan) || interval is not ("monthly" or "yearly"))
        {
            return RedirectToPage(new { error = "Choose a plan and an interval." });
        }

        try
        {
            var link = await billing.CreateCheckoutLinkAsync(plan, interval, Here("checkout=success"), Here("checkout=canceled"), cancellationToken);
            return link.Url is { } url ? Redirect(url.ToString()) : RedirectToPage(new { changed = link.PlanType ?? plan });
        }
        catch (VaultAIBillingException ex)
        {
            return RedirectToPage(new { error = $"The upgrade could not start: {ex.Problem?.Detail ?? ex.Message}" });
        }
    }

    /// <summary>Manage billing: sends the admin to Stripe's billing portal, which links back here.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A redirect to the portal, or back to this page with the reason.</returns>
    public async Task<IActionResult> OnPostPortalAsync(CancellationToken cancellationToken)
    {
        try
        {
            var url = await billing.CreatePortalLinkAsync(Here(null), cancellationToken);
            return Redirect(url.ToString());
        }
        catch (VaultAIBillingException ex)
        {
            return RedirectToPage(new { error = $"The billing portal could not open: {ex.Problem?.Detail ?? ex.Message}" });
        }
    }

    /// <summary>This page's absolute URL as the browser reached it; the billing host accepts it only from an allowed origin.</summary>
    private Uri Here(string? query) =>
        new($"{Request.Scheme}://{Request.Host}{Request.PathBase}/billing{(query is null ? string.Empty : "?" + query)}");

    private async Task<T?> LoadAsync<T>(string what, Func<CancellationToken, Task<T>> load, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await load(cancellationToken);
        }
        catch (VaultAIBillingException ex)
        {
            Errors.Add($"The {what} could not be loaded: {ex.Problem?.Detail ?? ex.Message}");
            return null;
        }
    }
}
