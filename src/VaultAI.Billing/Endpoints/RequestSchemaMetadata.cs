namespace VaultAI.Billing.Endpoints;

/// <summary>
/// Endpoint metadata naming the JSON body a billing route reads, for API reference documents (an OpenAPI operation
/// transformer turns it into the operation's request body). Unlike <c>Accepts&lt;T&gt;()</c> it changes nothing at run
/// time: the route still reads its body by hand and answers a missing or wrong content type with a 400 or 415 problem
/// that names the field.
/// </summary>
public sealed class RequestSchemaMetadata
{
    internal RequestSchemaMetadata(Type requestType) => RequestType = requestType;

    /// <summary>The type whose JSON shape (snake_case property names on the wire) the body has.</summary>
    public Type RequestType { get; }

    /// <summary>The content type of the body.</summary>
    /// <value>Always <c>application/json</c>.</value>
    public string ContentType => "application/json";
}
