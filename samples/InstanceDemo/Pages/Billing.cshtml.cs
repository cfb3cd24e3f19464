using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using VaultAI.Billing.Client;

namespace InstanceDemo.Pages;

/// <summary>
/// The instance admin's Billing page: plan and status, usage against limits, invoices, payment methods and credits,
/// with Upgrade (Stripe Checkout) and Manage billing (Stripe's billing portal). Every piece comes from the billing
/// host through the client; a piece the host cannot give is reported on the page, the rest still shows.
/// </summary>
public sealed class BillingModel(IVaultAIBillingClient billing, IUsageRecorderClient usage) : PageModel
{
    /// <summary>Gets the organization's status.</summary>
    public OrganizationStatus? Status { get; private set; }

    /// <summary>Gets the current period's usage per metric.</summary>
    public OrganizationUsage? Usage { get; private set; }

    /// <summary>Gets what could not be loaded.</summary>
    public IList<string> Errors { get; } = [];

    /// <summary>Gets a notice about the last action (back from Checkout or the portal).</summary>
    public string? Notice { get; private set; }

    /// <summary>Loads every section.</summary>
    /// <param name="checkout"><c>success</c> or <c>canceled</c> when Stripe Checkout sent the admin back.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task OnGetAsync([FromQuery] string? checkout, CancellationToken cancellationToken)
    {
        Notice = checkout switch
        {
            "success" => "Thank you! Your payment details were accepted; the new plan shows here once Stripe has confirmed it (reload in a few seconds).",
            "canceled" => "Checkout was canceled; nothing changed.",
            _ => null,
        };
        Status = await LoadAsync("status", billing.GetStatusAsync, cancellationToken);
        Usage = await LoadAsync("usage", usage.GetUsageAsync, cancellationToken);
    }

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
