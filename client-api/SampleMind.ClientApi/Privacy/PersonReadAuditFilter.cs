using System.Security.Claims;
using Microsoft.Extensions.Options;
using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Privacy;

/// <summary>
/// Records a read of one person's data (the route value <c>id</c>) in the read audit before the endpoint runs: the
/// key's id and role, the route, the optional <c>X-Purpose</c> header. The row is committed before any of the
/// person's data is read, so a read the audit cannot record fails (500) instead of going unrecorded.
/// </summary>
public sealed class PersonReadAuditFilter(ReadAuditLog audit, IOptions<PrivacyOptions> options) : IEndpointFilter
{
    public const string PurposeHeader = "X-Purpose";

    /// <summary>The longest user id the user endpoints accept; longer ones are refused by the endpoint and not recorded.</summary>
    private const int MaxUserIdLength = 256;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var id = http.Request.RouteValues["id"] as string;
        if (string.IsNullOrWhiteSpace(id) || id.Length > MaxUserIdLength)
        {
            return await next(context);
        }
        var purpose = http.Request.Headers[PurposeHeader].ToString();
        if (purpose.Length > options.Value.MaxPurposeLength)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                [PurposeHeader] = [$"at most {options.Value.MaxPurposeLength} characters"],
            });
        }
        var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Path.ToString();
        await audit.RecordAsync(
            id,
            http.User.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim) ?? "unknown",
            http.User.FindFirstValue(ClaimTypes.Role) ?? "unknown",
            http.Request.Method,
            route,
            purpose.Length == 0 ? null : purpose,
            http.RequestAborted);
        return await next(context);
    }
}

public static class PersonReadAuditEndpointExtensions
{
    /// <summary>Records every call of this endpoint in the read audit (<see cref="PersonReadAuditFilter"/>).</summary>
    public static RouteHandlerBuilder WithPersonReadAudit(this RouteHandlerBuilder builder)
        => builder.AddEndpointFilter<PersonReadAuditFilter>();
}
