using System.Globalization;
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
/// details, and an address over its budget of wrong keys (<see cref="AdminApiKeyLimiter"/>) 429; unauthenticated page
/// requests are redirected to <c>/login</c>.
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
        services.AddSingleton<AdminApiKeyLimiter>();
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
            Title = status switch
            {
                StatusCodes.Status401Unauthorized => "Authentication is required.",
                StatusCodes.Status429TooManyRequests => "Too many requests.",
                _ => "Access is denied.",
            },
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

    private sealed class ApiKeyHandler(
        IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AdminCredentials credentials, AdminApiKeyLimiter limiter)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        private TimeSpan? _retryAfter;

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var key = Request.Headers[ApiKeyHeader].ToString();
            if (string.IsNullOrEmpty(key))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            // An address that has sent too many wrong keys gets no check at all, so it learns nothing more until its
            // window ends; the check itself stays constant-time (AdminCredentials.VerifyApiKey).
            _retryAfter = limiter.RetryAfter(Context);
            if (_retryAfter is not null)
            {
                return Task.FromResult(AuthenticateResult.Fail("Too many wrong admin API keys from this address."));
            }

            if (credentials.VerifyApiKey(key))
            {
                return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(Principal("api-key", ApiKeyScheme), ApiKeyScheme)));
            }

            limiter.RecordFailure(Context);
            return Task.FromResult(AuthenticateResult.Fail($"The {ApiKeyHeader} header does not match a configured key."));
        }

        protected override Task HandleChallengeAsync(AuthenticationProperties properties)
        {
            if (_retryAfter is { } wait)
            {
                var seconds = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));
                Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return WriteProblemAsync(Context, StatusCodes.Status429TooManyRequests, "rate_limited", $"Too many wrong admin API keys from this address; retry after {seconds} seconds.");
            }

            return Request.Headers.ContainsKey(ApiKeyHeader)
                ? WriteProblemAsync(Context, StatusCodes.Status401Unauthorized, "invalid_admin_api_key", $"The {ApiKeyHeader} header does not match a configured key.")
                : WriteProblemAsync(Context, StatusCodes.Status401Unauthorized, "admin_authentication_required", $"Send an admin API key in {ApiKeyHeader}.");
        }

        protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
            WriteProblemAsync(Context, StatusCodes.Status403Forbidden, "admin_forbidden", "This key may not use the admin API.");
    }
}
