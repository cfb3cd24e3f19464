using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using VaultAI.Billing;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Subscriptions;

namespace BillingHost.Pages.Organizations;

/// <summary>
/// The subscription lifecycle of one organization: change plan or interval (reviewed, then confirmed), set the seat
/// quantity, resume a subscription set to cancel at period end. Each action posts, then redirects to the organization.
/// </summary>
public sealed class SubscriptionModel(BillingAdministration admin, SubscriptionLifecycle lifecycle, IOptionsMonitor<VaultAIBillingOptions> options) : PageModel
{
    /// <summary>The organization.</summary>
    public Organization Organization { get; private set; } = null!;

    /// <summary>The catalog's plan keys.</summary>
    public IReadOnlyList<string> PlanKeys => [.. options.CurrentValue.Plans.Keys];

    /// <summary>A plan change waiting for confirmation, after "Review".</summary>
    public PlanChangeRequest? Pending { get; private set; }

    /// <summary>An action's failure.</summary>
    public string? ErrorMessage { get; private set; }

    /// <summary>Shows the forms.</summary>
    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken) =>
        await LoadAsync(id, cancellationToken) ? Page() : NotFound();

    /// <summary>Shows what a plan change will do and asks for confirmation; changes nothing.</summary>
    public async Task<IActionResult> OnPostReviewAsync(Guid id, string? planType, string? billingInterval, string? prorationBehavior, CancellationToken cancellationToken)
    {
        Pending = ToRequest(planType, billingInterval, prorationBehavior);
        return await LoadAsync(id, cancellationToken) ? Page() : NotFound();
    }

    /// <summary>Changes the plan (the confirmed form).</summary>
    public Task<IActionResult> OnPostChangePlanAsync(Guid id, string? planType, string? billingInterval, string? prorationBehavior, CancellationToken cancellationToken) =>
        ActAsync(id, () => lifecycle.ChangePlanAsync(id, ToRequest(planType, billingInterval, prorationBehavior), Actor, cancellationToken), $"Plan changed to {planType}.", cancellationToken);

    /// <summary>Sets the seat quantity.</summary>
    public Task<IActionResult> OnPostSeatsAsync(Guid id, long quantity, CancellationToken cancellationToken) =>
        ActAsync(id, () => lifecycle.ChangeSeatsAsync(id, quantity, Actor, cancellationToken), $"Seat quantity set to {quantity}.", cancellationToken);

    /// <summary>Resumes a subscription set to cancel at period end.</summary>
    public Task<IActionResult> OnPostResumeAsync(Guid id, CancellationToken cancellationToken) =>
        ActAsync(id, () => lifecycle.ResumeAsync(id, Actor, cancellationToken), "The subscription renews again.", cancellationToken);

    private string Actor => User.Identity?.Name is { Length: > 0 } name ? name : "admin";

    private static PlanChangeRequest ToRequest(string? planType, string? billingInterval, string? prorationBehavior) => new()
    {
        PlanKey = planType ?? "",
        BillingInterval = string.IsNullOrEmpty(billingInterval) ? null : billingInterval,
        ProrationBehavior = string.IsNullOrEmpty(prorationBehavior) ? null : prorationBehavior,
    };

    private async Task<IActionResult> ActAsync(Guid id, Func<Task<Organization>> action, string success, CancellationToken cancellationToken)
    {
        try
        {
            await action();
            TempData["Message"] = success;
        }
        catch (BillingException e) when (e.StatusCode == StatusCodes.Status404NotFound)
        {
            return NotFound();
        }
        catch (BillingException e)
        {
            ErrorMessage = e.Message;
            return await LoadAsync(id, cancellationToken) ? Page() : NotFound();
        }

        return Redirect($"/organizations/{id}");
    }

    private async Task<bool> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        var organization = await admin.GetOrganizationAsync(id, cancellationToken);
        if (organization is null)
        {
            return false;
        }

        Organization = organization;
        return true;
    }
}
