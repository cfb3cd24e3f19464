using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace BillingHost.Admin;

/// <summary>
/// Admin sign-in: a cookie for people (the dashboard) and the <c>X-Admin-Api-Key</c> header for automation, behind one
/// policy scheme that picks the header when it is present. Unauthenticated API calls and wrong API keys get 401 problem
/// details; unauthenticated page requests are redirected to <c>/login</c>.
/// </summary>
public static class AdminAuthentication
{
    /// <summary>The policy scheme the admin policy uses.</summary>
    public const string Scheme = "Admin";

    /// <summary>The cookie scheme.</summary>
    public const string CookieScheme = "AdminCookie";

    /// <summary>The API key scheme.</summary>
    public const string ApiKeyScheme = "AdminApiKey";

    /// <summary>The API key header.</summary>
    public const string ApiKeyHeader = "X-Admin-Api-Key";

    /// <summary>Registers the schemes and the admin policy named <paramref name="policyName"/>.</summary>
    public static IServiceCollection AddAdminAuthentication(this IServiceCollection services, string policyName, TimeSpan idleTimeout)
    {
        services.AddSingleton<AdminCredentials>();
        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Administrator", options =>
                options.ForwardDefaultSelector = context => context.Request.Headers.ContainsKey(ApiKeyHeader) ? ApiKeyScheme : CookieScheme)
            .AddCookie(CookieScheme, options =>
            {
                options.Cookie.Name = "vaultai_admin";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Strict;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.LoginPath = "/login";
                options.LogoutPath = "/logout";
                options.AccessDeniedPath = "/login";
                options.ExpireTimeSpan = idleTimeout;
                options.SlidingExpiration = true;
                options.Events.OnRedirectToLogin = context => IsApi(context.Request)
                    ? WriteProblemAsync(context.HttpContext, StatusCodes.Status401Unauthorized, "admin_authentication_required", $"Sign in, or send an admin API key in {ApiKeyHeader}.")
                    : Redirect(context);
                options.Events.OnRedirectToAccessDenied = context => IsApi(context.Request)
                    ? WriteProblemAsync(context.HttpContext, StatusCodes.Status403Forbidden, "admin_forbidden", "This account may not use the admin API.")
                    : Redirect(context);
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(ApiKeyScheme, _ => { });
        services.AddAuthorizationBuilder()
            .AddPolicy(policyName, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser());
        return services;
    }

    /// <summary>The principal of a signed-in administrator.</summary>
    public static ClaimsPrincipal Principal(string name, string scheme) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, "billing-admin")], scheme));

    internal static Task WriteProblemAsync(HttpContext context, int status, string code, string detail)
    {
        context.Response.StatusCode = status;
        var problem = new ProblemDetails
        {
            Status = status,
            Title = status == StatusCodes.Status401Unauthorized ? "Authentication is required." : "Access is denied.",
            Detail = detail,
            Type = "https://vaultai.dev/problems/" + code.Replace('_', '-'),
            Instance = context.Request.Path,
        };
        problem.Extensions["code"] = code;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }).AsTask();
    }

    private static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase);

    private static Task Redirect(RedirectContext<CookieAuthenticationOptions> context)
    {
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    private sealed class ApiKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AdminCredentials credentials)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var key = Request.Headers[ApiKeyHeader].ToString();
            if (string.IsNullOrEmpty(key))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            return Task.FromResult(credentials.VerifyApiKey(key)
                ? AuthenticateResult.Success(new AuthenticationTicket(Principal("api-key", ApiKeyScheme), ApiKeyScheme))
                : AuthenticateResult.Fail($"The {ApiKeyHeader} header does not match a configured key."));
        }

        protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
            Request.Headers.ContainsKey(ApiKeyHeader)
                ? WriteProblemAsync(Context, StatusCodes.Status401Unauthorized, "invalid_admin_api_key", $"The {ApiKeyHeader} header does not match a configured key.")
                : WriteProblemAsync(Context, StatusCodes.Status401Unauthorized, "admin_authentication_required", $"Send an admin API key in {ApiKeyHeader}.");

        protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
            WriteProblemAsync(Context, StatusCodes.Status403Forbidden, "admin_forbidden", "This key may not use the admin API.");
    }
}
