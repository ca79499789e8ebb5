using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace SampleMind.ClientApi.Security;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c> against <see cref="ApiKeyOptions.ApiKeys"/>: a known key signs the request in
/// with its role as a role claim. Challenge and forbid are answered as ProblemDetails (401 with
/// <c>WWW-Authenticate: Bearer</c>, 403).
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IOptions<ApiKeyOptions> keys,
    IProblemDetailsService problems)
    : KeyAuthenticationHandler<ApiKeyGrant>(schemeOptions, loggerFactory, encoder,
        keys.Value.ApiKeys.Select(k => (k.Key, new ApiKeyGrant(k.Role, k.KeyId))))
{
    public const string SchemeName = "ApiKey";

    /// <summary>The claim that names the key a request was signed in with (its <see cref="ApiKeyEntry.KeyId"/>).</summary>
    public const string KeyIdClaim = "samplemind:key-id";

    protected override bool TryReadKey(string header, out byte[] key, out string failure)
    {
        key = [];
        failure = "the Authorization header is not 'Bearer <key>'";
        if (!AuthenticationHeaderValue.TryParse(header, out var value)
            || !string.Equals(value.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase)
            || string.IsNullOrWhiteSpace(value.Parameter))
        {
            return false;
        }
        key = Encoding.UTF8.GetBytes(value.Parameter);
        return true;
    }

    protected override IEnumerable<Claim> ClaimsOf(ApiKeyGrant grant)
        =>
        [
            new Claim(ClaimTypes.Name, $"api-key:{grant.Role}"),
            new Claim(ClaimTypes.Role, grant.Role.ToString()),
            new Claim(KeyIdClaim, grant.KeyId),
        ];

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"SampleMind API\"";
        await problems.WriteStatusAsync(Context, StatusCodes.Status401Unauthorized, "Missing or unknown API key",
            failure is null
                ? "Send an API key as 'Authorization: Bearer <key>'."
                : $"Send a valid API key as 'Authorization: Bearer <key>' ({failure}).");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
        => problems.WriteStatusAsync(Context, StatusCodes.Status403Forbidden, "The API key's role does not allow this",
            $"This key has the role '{Context.User.FindFirstValue(ClaimTypes.Role)}'; {Request.Method} {Request.Path} needs a role with more rights.");
}

/// <summary>What a bearer key grants: its role, and the id the read audit records.</summary>
public sealed record class ApiKeyGrant(ApiRole Role, string KeyId);
