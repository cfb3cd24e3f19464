using System.ComponentModel.DataAnnotations;
using BillingHost.Admin;
using BillingHost.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace BillingHost.Pages;

/// <summary>The sign-in form (cookie).</summary>
[EnableRateLimiting(HostComposition.LoginPolicy)]
public sealed class LoginModel(AdminCredentials credentials) : PageModel
{
    /// <summary>The administrator name.</summary>
    [BindProperty, Required]
    public string Name { get; set; } = "";

    /// <summary>The password.</summary>
    [BindProperty, Required, DataType(DataType.Password)]
    public string Password { get; set; } = "";

    /// <summary>Where to go after signing in (local paths only).</summary>
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    /// <summary>Shows the form.</summary>
    public void OnGet()
    {
    }

    /// <summary>Checks the password and signs in.</summary>
    public async Task<IActionResult> OnPostAsync()
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }

        if (!credentials.VerifyPassword(Name, Password))
        {
            ModelState.AddModelError(string.Empty, "Wrong name or password.");
            Password = "";
            return Page();
        }

        await HttpContext.SignInAsync(AdminAuthentication.CookieScheme, AdminAuthentication.Principal(Name, AdminAuthentication.CookieScheme));
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/");
    }
}
