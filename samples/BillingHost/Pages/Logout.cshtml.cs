using BillingHost.Admin;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace BillingHost.Pages;

/// <summary>Signs out (POST only, with antiforgery).</summary>
public sealed class LogoutModel : PageModel
{
    /// <summary>A GET does not sign out; it goes home.</summary>
    public IActionResult OnGet() => Redirect("/");

    /// <summary>Signs out.</summary>
    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(AdminAuthentication.CookieScheme);
        return Redirect("/login");
    }
}
