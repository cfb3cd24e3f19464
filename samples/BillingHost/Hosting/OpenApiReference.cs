using System.Text.Json;
using BillingHost.Admin;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;
using VaultAI.Billing;
using VaultAI.Billing.Endpoints;

namespace BillingHost.Hosting;

/// <summary>
/// The API reference: the OpenAPI document at <c>/openapi/v1.json</c>, with the security schemes of the billing routes
/// (organization token, admin key, Stripe signature), and Scalar at <c>/scalar</c>.
/// </summary>
public static class OpenApiReference
{
    /// <summary>The scheme of the organization's billing token (<c>Authorization: Bearer</c>).</summary>
    public const string BearerScheme = "OrganizationToken";

    /// <summary>The scheme of the admin API key header.</summary>
    public const string AdminScheme = "AdminApiKey";

    /// <summary>The scheme of the enrollment key a registration may need.</summary>
    public const string EnrollmentScheme = "EnrollmentKey";

    /// <summary>The scheme of Stripe's webhook signature.</summary>
    public const string StripeScheme = "StripeSignature";

    /// <summary>Adds the OpenAPI document with its security schemes and snake_case property names.</summary>
    public static IServiceCollection AddBillingOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "The organization's billing token, returned by registration.",
                };
                document.Components.SecuritySchemes[AdminScheme] = ApiKey(AdminAuthentication.ApiKeyHeader, "An admin API key (the dashboard's session cookie also works).");
                document.Components.SecuritySchemes[EnrollmentScheme] = ApiKey("X-Enrollment-Key", "The enrollment key, when the host requires one to register.");
                document.Components.SecuritySchemes[StripeScheme] = ApiKey("Stripe-Signature", "Stripe's signature of the webhook payload.");
                return Task.CompletedTask;
            });
            options.AddOperationTransformer(DescribeRequestBodyAsync);
            options.AddOperationTransformer((operation, context, _) =>
            {
                var path = context.Description.RelativePath ?? "";
                string[] schemes = path.StartsWith("api/admin", StringComparison.Ordinal) ? [AdminScheme]
                    : path.StartsWith("api/stripe/", StringComparison.Ordinal) ? [StripeScheme]
                    : path == "api/organizations/register" ? [EnrollmentScheme, BearerScheme]
                    : [BearerScheme];
                operation.Security ??= [];
                foreach (var scheme in schemes)
                {
                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, context.Document)] = [] });
                }

                return Task.CompletedTask;
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                // The billing routes write snake_case JSON (their own serializer contexts): name the properties so.
                if (context.JsonTypeInfo.Type.Assembly == typeof(VaultAIBillingOptions).Assembly && schema.Properties is { Count: > 0 } properties)
                {
                    schema.Properties = properties.ToDictionary(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Key), p => p.Value);
                    if (schema.Required is { Count: > 0 } required)
                    {
                        schema.Required = required.Select(JsonNamingPolicy.SnakeCaseLower.ConvertName).ToHashSet();
                    }
                }

                return Task.CompletedTask;
            });
        });

    /// <summary>Maps the OpenAPI document and Scalar, both open to anyone (they describe the API, not its data).</summary>
    public static WebApplication MapBillingApiReference(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/scalar").AllowAnonymous();
        return app;
    }

    /// <summary>
    /// The request body of a route marked <c>WithRequestSchema&lt;T&gt;()</c>: its handler reads the JSON by hand (to name
    /// the failing field in a 400), so ASP.NET sees no body parameter; <c>Accepts&lt;T&gt;()</c> would describe it but
    /// also make routing answer 415 without problem details, so the body is described here instead.
    /// </summary>
    private static async Task DescribeRequestBodyAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata.OfType<RequestSchemaMetadata>().LastOrDefault();
        if (metadata is null)
        {
            return;
        }

        var schema = await context.GetOrCreateSchemaAsync(metadata.RequestType, null, cancellationToken);
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType> { [metadata.ContentType] = new() { Schema = schema } },
        };
    }

    private static OpenApiSecurityScheme ApiKey(string header, string description) => new()
    {
        Type = SecuritySchemeType.ApiKey,
        In = ParameterLocation.Header,
        Name = header,
        Description = description,
    };
}
