namespace VaultAI.Billing.Client;

/// <summary>An RFC 9457 problem details document answered by the billing host.</summary>
public sealed record BillingProblemDetails
{
    /// <summary>Gets the problem type URI, for example <c>https://vaultai.dev/problems/invalid_token</c>.</summary>
    public string? Type { get; init; }

    /// <summary>Gets the short human-readable summary.</summary>
    public string? Title { get; init; }

    /// <summary>Gets the HTTP status code the host set in the document.</summary>
    public int? Status { get; init; }

    /// <summary>Gets the human-readable explanation of this occurrence.</summary>
    public string? Detail { get; init; }

    /// <summary>Gets the stable error code, for example <c>organization_exists</c>.</summary>
    public string? Code { get; init; }

    /// <summary>Gets the name of the offending field, when one field is at fault.</summary>
    public string? Field { get; init; }

    /// <summary>Gets validation errors by field name, when the request failed validation.</summary>
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }

    /// <summary>Gets the host's trace id, to quote when asking the billing operator.</summary>
    public string? TraceId { get; init; }
}
