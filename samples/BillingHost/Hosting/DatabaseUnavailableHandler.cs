using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace BillingHost.Hosting;

/// <summary>
/// Answers <c>503</c> problem details (<c>code: database_unavailable</c>) with <c>Retry-After</c> when a request failed
/// because PostgreSQL could not be reached: a transient <see cref="DbException"/> anywhere in the exception chain (the
/// server restarting, a refused or broken connection, a connect timeout). The default handler answered a bare 500,
/// which reads as a bug in the host; the outage is temporary, and instances (whose client honours <c>Retry-After</c> on
/// 503) should send the same request again. Other exceptions are left to the default handler.
/// </summary>
internal sealed partial class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    /// <summary>Seconds a caller is asked to wait: about what a PostgreSQL restart or fail-over takes.</summary>
    internal const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        // A browser on a dashboard page gets the HTML error page, which says the same in a sentence (Pages/Error).
        if (!IsDatabaseUnavailable(exception) || ErrorAnswers.WantsHtmlPage(httpContext))
        {
            return false;
        }

        LogUnavailable(logger, httpContext.Request.Path, exception.GetType().Name);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var problem = new ProblemDetails
        {
            Type = "https://vaultai.dev/problems/database-unavailable",
            Title = "Service Unavailable",
            Status = StatusCodes.Status503ServiceUnavailable,
            // Not "nothing was stored": the failure may come after a commit. A retry with the same Idempotency-Key is
            // answered as a duplicate if it was.
            Detail = "The billing database is unavailable for a moment. Send the same request again after Retry-After; a request that was already stored is answered as a duplicate.",
            Instance = httpContext.Request.Path,
        };
        problem.Extensions["code"] = "database_unavailable";
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, Exception = exception, ProblemDetails = problem });
    }

    /// <summary>Whether the chain holds a transient database error (Npgsql marks connection failures and shutdowns so).</summary>
    internal static bool IsDatabaseUnavailable(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is DbException { IsTransient: true })
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(EventId = 9010, Level = LogLevel.Warning, Message = "{Path} answered 503: the database is unavailable ({Exception})")]
    private static partial void LogUnavailable(ILogger logger, string path, string exception);
}
