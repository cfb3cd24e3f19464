using System.Net;

namespace VaultAI.Billing.Client;

/// <summary>
/// The billing host already knows this organization but this instance has no valid token for it
/// (the token file was lost or replaced). The client never works around this by inventing a new id:
/// an administrator of the billing host must reset the organization's token.
/// </summary>
public sealed class BillingTokenLostException : VaultAIBillingException
{
    /// <summary>Initializes a new instance of the <see cref="BillingTokenLostException"/> class.</summary>
    public BillingTokenLostException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BillingTokenLostException"/> class.</summary>
    /// <param name="message">The message.</param>
    public BillingTokenLostException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BillingTokenLostException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public BillingTokenLostException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BillingTokenLostException"/> class.</summary>
    /// <param name="organizationId">The organization whose token is lost.</param>
    /// <param name="statusCode">The HTTP status code the host answered.</param>
    /// <param name="problem">The problem details the host answered.</param>
    public BillingTokenLostException(Guid organizationId, HttpStatusCode statusCode, BillingProblemDetails? problem)
        : base(statusCode, problem, $"The billing host already has organization {organizationId} but this instance holds no valid token for it. An administrator of the billing host must reset the organization's token; the instance will not register under a new id.")
    {
        OrganizationId = organizationId;
    }

    /// <summary>Gets the organization whose token is lost.</summary>
    public Guid OrganizationId { get; }
}
