using Microsoft.AspNetCore.Builder;

namespace VaultAI.Billing.Endpoints.Internal;

internal static class RequestSchemaExtensions
{
    /// <summary>Describes the route's JSON body as <typeparamref name="T"/> for the API reference, without changing how it is read.</summary>
    public static RouteHandlerBuilder WithRequestSchema<T>(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(new RequestSchemaMetadata(typeof(T)));
}
