using System.Net;
using System.Text.Json;
using BillingHost.IntegrationTests.Support;

namespace BillingHost.IntegrationTests;

public class OpenApiReferenceTests
{
    // The POST routes that read no body (only the path or the query). Every other POST, PUT or PATCH in the document must
    // describe its JSON request body (WithRequestSchema<T>()): a new route without it fails here by name.
    private static readonly string[] PostsWithoutBody =
    [
        "/api/admin/organizations/{organizationId}/sync",
        "/api/admin/organizations/{organizationId}/cancel",
        "/api/admin/organizations/{organizationId}/rotate-token",
        "/api/admin/organizations/{organizationId}/revoke-token",
        "/api/admin/organizations/{organizationId}/resume",
        "/api/admin/meter-events/retry",
        "/api/admin/meter-events/{outboxId}/retry",
        "/api/admin/webhooks/{eventId}/retry",
        "/api/admin/webhooks/replay",
    ];

    [Fact]
    public async Task OpenApi_EveryBillingRoute_HasItsSchemasProblemsAndSecurity()
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();

        using var json = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var root = json.RootElement;
        var schemes = root.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("bearer", schemes.GetProperty("OrganizationToken").GetProperty("scheme").GetString());
        Assert.Equal("X-Admin-Api-Key", schemes.GetProperty("AdminApiKey").GetProperty("name").GetString());

        var operations = 0;
        foreach (var path in root.GetProperty("paths").EnumerateObject().Where(p => p.Name.StartsWith("/api/", StringComparison.Ordinal)))
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                operations++;
                var where = $"{operation.Name.ToUpperInvariant()} {path.Name}";
                var responses = operation.Value.GetProperty("responses").EnumerateObject().ToList();
                Assert.True(
                    responses.Any(r => r.Name.StartsWith('2') && r.Value.TryGetProperty("content", out var content) && content.TryGetProperty("application/json", out var media) && media.TryGetProperty("schema", out _)),
                    $"{where} describes its 2xx JSON body");
                Assert.True(
                    responses.Any(r => r.Name == "400" && r.Value.TryGetProperty("content", out var content) && content.TryGetProperty("application/problem+json", out _)),
                    $"{where} describes its 400 problem");
                Assert.True(operation.Value.TryGetProperty("security", out var security) && security.GetArrayLength() > 0, $"{where} names its security");
                if (operation.Name is "post" or "put" or "patch" && !PostsWithoutBody.Contains(path.Name))
                {
                    Assert.True(
                        operation.Value.TryGetProperty("requestBody", out var body) && body.GetProperty("content").GetProperty("application/json").TryGetProperty("schema", out _),
                        $"{where} describes its request body");
                }

                if (path.Name.StartsWith("/api/admin/", StringComparison.Ordinal))
                {
                    Assert.Equal("AdminApiKey", security[0].EnumerateObject().Single().Name);
                    Assert.Contains(responses, r => r.Name == "401");
                    Assert.Contains(responses, r => r.Name == "403");
                }
            }
        }

        Assert.True(operations >= 30, $"the document lists the billing routes ({operations})");
        Assert.All(PostsWithoutBody, route => Assert.True(root.GetProperty("paths").TryGetProperty(route, out _), $"{route} is still a route"));

        // The wire names: the register answer's schema has the snake_case fields the handler writes.
        var register = root.GetProperty("paths").GetProperty("/api/organizations/register").GetProperty("post");
        var registerBody = register.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        var schema = Resolve(root, registerBody);
        Assert.True(schema.GetProperty("properties").TryGetProperty("organization_id", out _), "request fields are snake_case");
    }

    [Fact]
    public async Task Scalar_ServesTheApiReferencePage()
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/scalar");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("text/html", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
    }

    private static JsonElement Resolve(JsonElement root, JsonElement schema) =>
        schema.TryGetProperty("$ref", out var reference)
            ? root.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1])
            : schema;
}
