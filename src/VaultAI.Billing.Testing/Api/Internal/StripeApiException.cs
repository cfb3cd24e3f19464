namespace VaultAI.Billing.Testing.Api.Internal;

/// <summary>An error answered in Stripe's shape: <c>{"error":{"type","code","message","param"}}</c>.</summary>
internal sealed class StripeApiException : Exception
{
    public StripeApiException(int status, string type, string message, string? param = null, string? code = null)
        : base(message)
    {
        Status = status;
        Type = type;
        Param = param;
        Code = code;
    }

    public int Status { get; }

    public string Type { get; }

    public string? Param { get; }

    public string? Code { get; }

    /// <summary>Whether the error happened before the operation ran (so an idempotent result is not saved).</summary>
    public bool BeforeExecution { get; init; }

    public static StripeApiException Invalid(string message, string? param = null, string? code = null) =>
        new(400, "invalid_request_error", message, param, code);

    public static StripeApiException Missing(string param) =>
        new(400, "invalid_request_error", $"Missing required param: {param}.", param, "parameter_missing");

    public static StripeApiException NotFound(string kind, string id, string param = "id") =>
        new(404, "invalid_request_error", $"No such {kind}: '{id}'", param, "resource_missing");
}
