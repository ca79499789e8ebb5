using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace SampleMind.ClientApi.Security;

/// <summary>
/// Declares the two ways in (bearer API keys for <c>/api</c>, HTTP Basic write keys for ingest) in the OpenAPI document,
/// and on each operation which one it takes and, for API keys, the least role.
/// </summary>
public static class ApiSecurityOpenApiTransformers
{
    public const string BearerScheme = "ApiKey";
    public const string WriteKeyScheme = "WriteKey";

    public static OpenApiOptions AddApiSecurity(this OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key with a role: read (product APIs), growth (also retention campaigns), privacy (read, plus one person's export), admin (everything). Local stack: dev-read-key, dev-growth-key, dev-privacy-key, dev-admin-key.",
            };
            document.Components.SecuritySchemes[WriteKeyScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "basic",
                Description = "Segment's authentication for ingest: the write key as the user name, an empty password. Local stack: dev-write-key.",
            };
            AddHealthPaths(document);
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            var scheme = metadata.OfType<ApiRoleMetadata>().Select(m => (Name: BearerScheme, Role: (ApiRole?)m.Role)).LastOrDefault();
            if (scheme.Name is null && metadata.OfType<WriteKeyMetadata>().Any())
            {
                scheme = (WriteKeyScheme, null);
            }
            if (scheme.Name is null)
            {
                return Task.CompletedTask;
            }
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme.Name, context.Document)] = [] });
            if (scheme.Role is { } role)
            {
                operation.Description = $"{operation.Description}{(string.IsNullOrEmpty(operation.Description) ? "" : "\n\n")}Needs an API key with the role **{role.ToString().ToLowerInvariant()}** or one that includes it.";
            }
            return Task.CompletedTask;
        });
        return options;
    }

    /// <summary>The health endpoints (health-check middleware, not route handlers, so the API explorer does not see them).</summary>
    private static void AddHealthPaths(OpenApiDocument document)
    {
        document.Paths ??= [];
        foreach (var (path, summary) in new[]
                 {
                     ("/health/live", "200 while the process runs."),
                     ("/health/ready", "200 when client-api is connected and the cluster answers; 503 otherwise. JSON: status, durationMs, checks."),
                 })
        {
            document.Paths[path] = new OpenApiPathItem
            {
                Operations = new Dictionary<HttpMethod, OpenApiOperation>
                {
                    [HttpMethod.Get] = new()
                    {
                        Summary = summary,
                        Tags = new HashSet<OpenApiTagReference> { new("Health", document) },
                        Responses = new OpenApiResponses
                        {
                            ["200"] = new OpenApiResponse { Description = "Healthy" },
                            ["503"] = new OpenApiResponse { Description = "Unhealthy" },
                        },
                    },
                },
            };
        }
    }
}

/// <summary>Marks an endpoint that takes a Segment write key (HTTP Basic), for the OpenAPI document.</summary>
public sealed record class WriteKeyMetadata;
