using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace VaultAI.Billing.Endpoints.Internal;

/// <summary>RFC 9457 problem details with a stable <c>code</c> and the <c>field</c> at fault.</summary>
internal static class Problems
{
    public const string TypeBase = "https://vaultai.dev/problems/";

    public static IResult From(BillingException exception, HttpContext context)
    {
        if (exception.RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return Create(exception.StatusCode, exception.Code, exception.Message, exception.Field, context, exception.StripeRequestId, exception.StripeErrorCode, exception.DeclineCode);
    }

    public static IResult Create(int status, string code, string detail, string? field, HttpContext context, string? stripeRequestId = null, string? stripeErrorCode = null, string? declineCode = null)
    {
        var problem = new ProblemDetails
        {
            Type = TypeBase + code.Replace('_', '-'),
            Title = TitleFor(status),
            Status = status,
            Detail = detail,
            Instance = context.Request.Path,
        };
        problem.Extensions["code"] = code;
        if (field is not null)
        {
            problem.Extensions["field"] = field;
            problem.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [detail] };
        }

        if (stripeRequestId is not null)
        {
            problem.Extensions["stripe_request_id"] = stripeRequestId;
        }

        if (stripeErrorCode is not null)
        {
            problem.Extensions["stripe_code"] = stripeErrorCode;
        }

        if (declineCode is not null)
        {
            problem.Extensions["decline_code"] = declineCode;
        }

        problem.Extensions["trace_id"] = context.TraceIdentifier;
        return TypedResults.Problem(problem);
    }

    private static string TitleFor(int status) => status switch
    {
        400 => "The request is invalid.",
        401 => "Authentication is required.",
        402 => "Payment is required.",
        403 => "This credential may not act on this organization.",
        404 => "Not found.",
        409 => "The request conflicts with the current state.",
        413 => "The request body is too large.",
        415 => "The content type is not supported.",
        429 => "Too many requests.",
        502 => "Stripe could not complete the request.",
        503 => "The service is unavailable.",
        _ => "The request failed.",
    };
}
