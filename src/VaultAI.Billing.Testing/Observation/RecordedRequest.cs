namespace VaultAI.Billing.Testing;

/// <summary>One request the emulator received, as seen on the wire (built from a WireMock log entry).</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The path, e.g. <c>/v1/customers</c>.</param>
/// <param name="Query">The raw query string without <c>?</c> (empty when none).</param>
/// <param name="Form">The decoded form (or query) fields, keys in bracket notation as sent; the last value wins for repeated keys.</param>
/// <param name="Headers">The request headers except <c>Authorization</c>.</param>
/// <param name="IdempotencyKey">The <c>Idempotency-Key</c> header, if any.</param>
/// <param name="StatusCode">The answered status; 0 when a fault dropped the connection or the client gave up during an injected delay.</param>
/// <param name="RequestId">The <c>Request-Id</c> the emulator answered with; empty when a test's own WireMock stub answered.</param>
/// <param name="Body">The raw request body (JSON for v2 endpoints).</param>
/// <param name="Faulted">Whether an injected fault answered (or dropped) this request.</param>
public sealed record RecordedRequest(
    string Method,
    string Path,
    string Query,
    IReadOnlyDictionary<string, string> Form,
    IReadOnlyDictionary<string, string> Headers,
    string? IdempotencyKey,
    int StatusCode,
    string RequestId,
    string Body,
    bool Faulted);
