using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace SampleMind.ClientApi.Security;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c> against <see cref="ApiKeyOptions.ApiKeys"/>: a known key signs the request in
/// with its role as a role claim. No header is "no result" (the endpoint's policy then challenges), another scheme or
/// an unknown key fails. Challenge and forbid are answered as ProblemDetails (401 with <c>WWW-Authenticate: Bearer</c>, 403).
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IOptions<ApiKeyOptions> keys,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";

    private readonly (byte[] Key, ApiRole Role)[] _keys = [.. keys.Value.ApiKeys.Select(k => (Encoding.UTF8.GetBytes(k.Key), k.Role))];

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        if (!AuthenticationHeaderValue.TryParse(header, out var value)
            || !string.Equals(value.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase)
            || string.IsNullOrWhiteSpace(value.Parameter))
        {
            return Task.FromResult(AuthenticateResult.Fail("the Authorization header is not 'Bearer <key>'"));
        }
        if (Find(Encoding.UTF8.GetBytes(value.Parameter)) is not { } role)
        {
            return Task.FromResult(AuthenticateResult.Fail("unknown API key"));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, $"api-key:{role}"), new Claim(ClaimTypes.Role, role.ToString())], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

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

    private ApiRole? Find(byte[] candidate)
    {
        ApiRole? found = null;
        foreach (var (key, role) in _keys)
        {
            // Compare against every key in constant time so the response time does not reveal key prefixes.
            if (CryptographicOperations.FixedTimeEquals(key, candidate))
            {
                found = role;
            }
        }
        return found;
    }
}
