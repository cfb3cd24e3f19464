using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace BillingHost.Hosting;

/// <summary>
/// Every error the host answers to an API caller is RFC 9457 problem details with a stable <c>code</c>, including those
/// the billing endpoints never see: unmatched routes (404), wrong methods (405), antiforgery failures, unhandled
/// exceptions (500). A browser outside <c>/api</c> (see <see cref="WantsHtmlPage"/>) gets the HTML page
/// <c>Pages/Error.cshtml</c> in the dashboard's layout instead. Kestrel's own connection-level answers (a malformed request line, a URL or headers over its limits) are written
/// before any middleware runs and stay empty; see <c>docs/reliability.md</c>.
/// </summary>
internal static class ErrorAnswers
{
    /// <summary>Where the pipeline re-executes a browser's error: <c>/error/{status}</c>.</summary>
    public const string HtmlPagePath = "/error";

    /// <summary>
    /// Whether the caller is a browser on a dashboard page: a path outside <c>/api</c> and an <c>Accept</c> header
    /// naming <c>text/html</c>. Routes under <c>/api</c> answer problem details whatever the caller accepts, and so
    /// does a script that asks for anything else (<c>curl</c> sends <c>*/*</c>).
    /// </summary>
    public static bool WantsHtmlPage(HttpContext context) =>
        !context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
        && context.Request.Headers.Accept.Any(value => value?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>Adds the <c>code</c> (from the status) and the trace id to a problem that has none.</summary>
    public static void AddCode(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        problem.Extensions.TryAdd("code", CodeFor(status));
        problem.Extensions.TryAdd("trace_id", context.HttpContext.TraceIdentifier);
    }

    /// <summary>For <c>UseStatusCodePages</c>: an error status without a body gets problem details.</summary>
    public static Task WriteStatusCodeProblemAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        var status = http.Response.StatusCode;
        var problem = new ProblemDetails
        {
            Status = status,
            Title = TitleFor(status),
            Type = "https://vaultai.dev/problems/" + CodeFor(status).Replace('_', '-'),
            Instance = http.Request.Path,
        };
        problem.Extensions["code"] = CodeFor(status);
        problem.Extensions["trace_id"] = http.TraceIdentifier;
        // Results.Problem writes application/problem+json whatever the Accept header says.
        return TypedResults.Problem(problem).ExecuteAsync(http);
    }

    internal static string CodeFor(int status) => status switch
    {
        400 => "bad_request",
        401 => "authentication_required",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        408 => "request_timeout",
        409 => "conflict",
        411 => "length_required",
        413 => "body_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        429 => "rate_limited",
        431 => "headers_too_large",
        500 => "internal_error",
        503 => "unavailable",
        _ => "http_" + status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string TitleFor(int status) => status switch
    {
        404 => "No such route.",
        405 => "The route does not accept this method.",
        _ => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "The request failed.",
    };
}
