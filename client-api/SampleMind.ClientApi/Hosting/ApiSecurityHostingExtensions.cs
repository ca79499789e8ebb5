using Microsoft.AspNetCore.Authentication;
using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Hosting;

public static class ApiSecurityHostingExtensions
{
    /// <summary>
    /// Bearer API keys with roles (<see cref="ApiKeyOptions"/>, validated at start), the ASP.NET Core authentication
    /// scheme that checks them and one authorization policy per role; endpoints opt in with <c>RequireApiRole(…)</c>.
    /// </summary>
    public static WebApplicationBuilder AddApiSecurity(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ApiKeyOptions>()
            .BindConfiguration(ApiKeyOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddProblemDetails();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder().AddApiRolePolicies();
        return builder;
    }
}
