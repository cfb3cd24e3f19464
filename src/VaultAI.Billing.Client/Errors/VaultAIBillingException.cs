using System.Globalization;
using System.Net;

namespace VaultAI.Billing.Client;

/// <summary>
/// A call to the billing host failed: either the host answered an error (see <see cref="StatusCode"/> and
/// <see cref="Problem"/>) or it could not be reached (<see cref="StatusCode"/> is <see langword="null"/>).
/// The message and properties never contain the billing token.
/// </summary>
public class VaultAIBillingException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="VaultAIBillingException"/> class.</summary>
    public VaultAIBillingException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="VaultAIBillingException"/> class.</summary>
    /// <param name="message">The message.</param>
    public VaultAIBillingException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="VaultAIBillingException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public VaultAIBillingException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="VaultAIBillingException"/> class for an error answered by the host.</summary>
    /// <param name="statusCode">The HTTP status code, or <see langword="null"/> when the host was not reached.</param>
    /// <param name="problem">The problem details the host answered, if any.</param>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public VaultAIBillingException(HttpStatusCode? statusCode, BillingProblemDetails? problem, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Problem = problem;
    }

    /// <summary>Gets the HTTP status code the host answered, or <see langword="null"/> when it could not be reached.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>Gets the problem details the host answered, if it sent any.</summary>
    public BillingProblemDetails? Problem { get; }

    /// <summary>
    /// Gets a value indicating whether trying again later may succeed: the host could not be reached,
    /// timed out, was rate limited (429) or failed (5xx).
    /// </summary>
    public bool IsTransient => StatusCode is null
        || StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
        || (int)StatusCode >= 500;

    internal static string Describe(HttpStatusCode status, BillingProblemDetails? problem)
    {
        var code = (int)status;
        if (problem is null)
        {
            return string.Create(CultureInfo.InvariantCulture, $"The billing host answered HTTP {code}.");
        }

        return string.Create(
            CultureInfo.InvariantCulture,
            $"The billing host answered HTTP {code} ({problem.Code ?? "no code"}): {problem.Title}{(problem.Detail is null ? string.Empty : " - " + problem.Detail)}");
    }
}
