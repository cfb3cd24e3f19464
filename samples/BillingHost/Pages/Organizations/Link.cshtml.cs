using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Mvc.Rendering;
using Microsoft.Extensions.Options;
using VaultAI.Billing;
using VaultAI.Billing.Linking;
using VaultAI.Billing.Organizations;

namespace BillingHost.Pages.Organizations;

/// <summary>The link form: billing e-mail, deployment type, plan, interval and trial days.</summary>
public sealed class LinkModel(BillingAdministration admin, IOptionsMonitor<VaultAIBillingOptions> options) : PageModel
{
    /// <summary>The organization.</summary>
    public Organization Organization { get; private set; } = null!;

    /// <summary>The form.</summary>
    [BindProperty]
    public LinkInput Input { get; set; } = new();

    /// <summary>The plans of the catalog.</summary>
    public IReadOnlyList<SelectListItem> PlanItems { get; private set; } = [];

    /// <summary>Shows the form, or the organization if it is already linked.</summary>
    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, cancellationToken) is { } result)
        {
            return result;
        }

        Input = new LinkInput { TrialDays = options.CurrentValue.DefaultTrialDays, AdminEmail = Organization.AdminEmail ?? "" };
        return Page();
    }

    /// <summary>Links, then redirects to the organization (POST-redirect-GET).</summary>
    public async Task<IActionResult> OnPostAsync(Guid id, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, cancellationToken) is { } result)
        {
            return result;
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        try
        {
            await admin.LinkAsync(id, new LinkRequest
            {
                AdminEmail = Input.AdminEmail.Trim(),
                DeploymentType = Input.DeploymentType,
                PlanKey = Input.PlanKey,
                TrialDays = Input.TrialDays,
                BillingInterval = Input.BillingInterval,
            }, cancellationToken);
        }
        catch (BillingException e) when (e.Code == "already_linked")
        {
            TempData["Message"] = $"{Organization.Name} is already linked.";
            return Redirect($"/organizations/{id}");
        }
        catch (BillingException e)
        {
            ModelState.AddModelError(FieldFor(e.Field), e.Message);
            return Page();
        }

        TempData["Message"] = $"{Organization.Name} is linked to Stripe.";
        return Redirect($"/organizations/{id}");
    }

    private async Task<IActionResult?> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        var organization = await admin.GetOrganizationAsync(id, cancellationToken);
        if (organization is null)
        {
            return NotFound();
        }

        Organization = organization;
        // A free plan links the customer without a subscription: linked all the same.
        if (organization.StripeCustomerId is not null)
        {
            TempData["Message"] = $"{organization.Name} is already linked.";
            return Redirect($"/organizations/{id}");
        }

        PlanItems = options.CurrentValue.Plans
            .Select(p => new SelectListItem(p.Value.DisplayName.Length > 0 ? p.Value.DisplayName : p.Key, p.Key))
            .ToList();
        return null;
    }

    // The library names wire fields (admin_email); the form shows the error next to the matching input.
    private static string FieldFor(string? field) => field switch
    {
        "admin_email" => "Input.AdminEmail",
        "deployment_type" => "Input.DeploymentType",
        "plan_type" or "plan" => "Input.PlanKey",
        "trial_days" => "Input.TrialDays",
        "billing_interval" => "Input.BillingInterval",
        _ => string.Empty,
    };
}

/// <summary>The link form's fields.</summary>
public sealed class LinkInput
{
    /// <summary>The billing e-mail.</summary>
    [Required(ErrorMessage = "Enter the billing e-mail."), EmailAddress(ErrorMessage = "Enter a valid e-mail address."), StringLength(254)]
    [Display(Name = "Billing e-mail")]
    public string AdminEmail { get; set; } = "";

    /// <summary><c>on-premise</c> or <c>managed-cloud</c>.</summary>
    [Required, Display(Name = "Deployment type")]
    public string DeploymentType { get; set; } = DeploymentTypes.OnPremise;

    /// <summary>The plan key.</summary>
    [Required(ErrorMessage = "Choose a plan."), Display(Name = "Plan")]
    public string PlanKey { get; set; } = "";

    /// <summary><c>monthly</c> or <c>yearly</c>.</summary>
    [Display(Name = "Billing interval")]
    public string BillingInterval { get; set; } = "monthly";

    /// <summary>Trial days.</summary>
    [Range(0, 730, ErrorMessage = "Trial days must be between 0 and 730."), Display(Name = "Trial days")]
    public int TrialDays { get; set; } = 4;
}
