using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace SampleMind.ClientApi.Security;

/// <summary>Marks an endpoint with the least role its callers need (read by the OpenAPI transformer).</summary>
public sealed record class ApiRoleMetadata(ApiRole Role);

public static class ApiRoleEndpointExtensions
{
    /// <summary>The authorization policy that admits <paramref name="role"/> and every role that includes it.</summary>
    public static string PolicyName(ApiRole role) => $"api-role:{role}";

    /// <summary>
    /// Requires a bearer API key whose role includes <paramref name="role"/> (<see cref="ApiRoles.Admits"/>): 401
    /// ProblemDetails without a valid key, 403 ProblemDetails for a role that does not. One call on a route group or an endpoint.
    /// </summary>
    public static TBuilder RequireApiRole<TBuilder>(this TBuilder builder, ApiRole role) where TBuilder : IEndpointConventionBuilder
        => builder.RequireAuthorization(PolicyName(role))
            .WithMetadata(
                new ApiRoleMetadata(role),
                new ProducesResponseTypeMetadata(StatusCodes.Status401Unauthorized, typeof(ProblemDetails), ["application/problem+json"]),
                new ProducesResponseTypeMetadata(StatusCodes.Status403Forbidden, typeof(ProblemDetails), ["application/problem+json"]));

    /// <summary>One policy per role, each admitting the roles that include it, authenticated by API key only.</summary>
    public static AuthorizationBuilder AddApiRolePolicies(this AuthorizationBuilder authorization)
    {
        foreach (var role in Enum.GetValues<ApiRole>())
        {
            var admitted = Enum.GetValues<ApiRole>().Where(r => r.Admits(role)).Select(r => r.ToString()).ToArray();
            authorization.AddPolicy(PolicyName(role), policy => policy
                .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser()
                .RequireClaim(ClaimTypes.Role, admitted));
        }
        return authorization;
    }
}
