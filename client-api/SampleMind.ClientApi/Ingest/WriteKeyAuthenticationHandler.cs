using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Ingest;

/// <summary>
/// Segment's authentication as an ASP.NET Core scheme: HTTP Basic with the write key as the user name and an empty
/// password (a password is ignored, as Segment does), or on <c>/beacon/*</c> the <c>writeKey</c> query parameter
/// (<c>navigator.sendBeacon</c> cannot send headers). A request with neither goes on to the handler, which takes the
/// body's <c>writeKey</c> (analytics.js); a wrong header or query key is challenged with 401 ProblemDetails and
/// <c>WWW-Authenticate: Basic</c> before the body is read. Write keys open the ingest endpoints only.
/// </summary>
public sealed class WriteKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IOptions<IngestOptions> options,
    IProblemDetailsService problems)
    : KeyAuthenticationHandler<bool>(schemeOptions, loggerFactory, encoder, options.Value.WriteKeys.Select(k => (k, true)))
{
    public const string SchemeName = "WriteKey";

    /// <summary>The authorization policy of the ingest endpoints.</summary>
    public const string PolicyName = "ingest";

    protected override bool TryReadKey(string header, out byte[] key, out string failure)
    {
        failure = "the Authorization header is not HTTP Basic with a write key";
        return TryGetWriteKey(header, out key);
    }

    protected override bool TryReadKeyWithoutHeader(out byte[] key)
    {
        key = TryGetQueryKey(Request, out var value) ? Encoding.UTF8.GetBytes(value) : [];
        return key.Length > 0;
    }

    protected override IEnumerable<Claim> ClaimsOf(bool grant) => [new Claim(ClaimTypes.Name, "write-key")];

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Logger.LogInformation("Refused {Method} {Path}: missing or unknown write key", Request.Method, Request.Path);
        Response.Headers.WWWAuthenticate = "Basic realm=\"SampleMind ingest\", charset=\"UTF-8\"";
        return problems.WriteStatusAsync(Context, StatusCodes.Status401Unauthorized, "Unknown or missing write key",
            "Authenticate with HTTP Basic (the write key as the user name, an empty password), or send the write key as "
            + "\"writeKey\" in the JSON body (analytics.js), or as ?writeKey= on /beacon/v1/batch (sendBeacon).");
    }

    /// <summary>The <c>writeKey</c> query parameter of a <c>/beacon/*</c> request (RudderStack's sendBeacon deliveries).</summary>
    internal static bool TryGetQueryKey(HttpRequest request, out string key)
    {
        key = request.Path.StartsWithSegments("/beacon") && request.Query.TryGetValue("writeKey", out var value) ? value.ToString() : "";
        return key.Length > 0;
    }

    /// <summary>True when the request carries no key in its headers or query, so the key can only be the body's <c>writeKey</c>.</summary>
    public static bool KeyIsInBody(HttpRequest request) =>
        request.Headers.Authorization.Count == 0 && !TryGetQueryKey(request, out _);

    /// <summary>The user name of an HTTP Basic <c>Authorization</c> header value.</summary>
    internal static bool TryGetWriteKey(string header, out byte[] key)
    {
        key = [];
        if (!AuthenticationHeaderValue.TryParse(header, out var value)
            || !string.Equals(value.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || string.IsNullOrEmpty(value.Parameter))
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[value.Parameter.Length];
        if (!Convert.TryFromBase64String(value.Parameter, decoded, out var length))
        {
            return false;
        }

        decoded = decoded[..length];
        var colon = decoded.IndexOf((byte)':');
        key = (colon < 0 ? decoded : decoded[..colon]).ToArray();
        return key.Length > 0;
    }
}
