using BillingHost.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace BillingHost.Pages;

/// <summary>
/// The HTML error page a browser sees outside <c>/api</c>: the status, one line, a link home. The pipeline re-executes
/// here for an unhandled exception and for an error status without a body (see <see cref="ErrorAnswers"/>). Any method
/// reaches it (a failed POST is re-executed as a POST), hence no antiforgery check.
/// </summary>
[AllowAnonymous]
[IgnoreAntiforgeryToken]
[ResponseCache(NoStore = true, Location = ResponseCacheLocation.None)]
public sealed class ErrorModel(IWebHostEnvironment environment) : PageModel
{
    /// <summary>The status answered.</summary>
    public int Status { get; private set; }

    /// <summary>The page's heading.</summary>
    public string Heading { get; private set; } = "";

    /// <summary>One line saying what happened and what to do.</summary>
    public string Line { get; private set; } = "";

    /// <summary>The exception's type and message, in Development only.</summary>
    public string? DevelopmentDetail { get; private set; }

    /// <summary>The request's trace id, to find the failure in the logs.</summary>
    public string TraceId => HttpContext.TraceIdentifier;

    /// <summary>Renders the page for whatever method the failed request used.</summary>
    public void OnGet(int? status) => Describe(status);

    /// <summary>The same page for a failed form post.</summary>
    public void OnPost(int? status) => Describe(status);

    private void Describe(int? status)
    {
        var exception = HttpContext.Features.Get<IExceptionHandlerFeature>()?.Error;
        var reExecuted = HttpContext.Features.Get<IStatusCodeReExecuteFeature>() is not null;
        Status = exception is not null
            ? DatabaseUnavailableHandler.IsDatabaseUnavailable(exception) ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError
            : reExecuted && status is >= 400 and <= 599 ? status.Value : StatusCodes.Status404NotFound;
        Response.StatusCode = Status;
        if (Status == StatusCodes.Status503ServiceUnavailable)
        {
            Response.Headers.RetryAfter = DatabaseUnavailableHandler.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        (Heading, Line) = Status switch
        {
            StatusCodes.Status400BadRequest => ("Bad request", "The form or link could not be accepted (a form kept open too long expires): go back, reload the page and try again."),
            StatusCodes.Status404NotFound => ("Page not found", "There is no page at this address."),
            StatusCodes.Status405MethodNotAllowed => ("Method not allowed", "This page cannot be used that way: open it from the dashboard's links and buttons."),
            StatusCodes.Status503ServiceUnavailable => ("Database unavailable", "The billing database does not answer for the moment: reload the page in a few seconds."),
            StatusCodes.Status500InternalServerError => ("Something went wrong", "The page failed on the server; the error is in the host's log under the trace id below."),
            _ => ("Error " + Status, Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(Status)),
        };
        if (exception is not null && environment.IsDevelopment())
        {
            DevelopmentDetail = $"{exception.GetType().FullName}: {exception.Message}";
        }
    }
}
