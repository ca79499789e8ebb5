using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace SampleMind.ClientApi.Ingest;

/// <summary>
/// Segment's authentication: HTTP Basic with the write key as the user name and an empty password. Anything
/// else is answered 401 with <c>WWW-Authenticate: Basic</c> before the body is read.
/// </summary>
public sealed class WriteKeyFilter(IOptions<IngestOptions> options, ILogger<WriteKeyFilter> logger) : IEndpointFilter
{
    private readonly byte[][] _keys = [.. options.Value.WriteKeys.Select(Encoding.UTF8.GetBytes)];

    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (TryGetWriteKey(http.Request.Headers.Authorization.ToString(), out var key) && IsKnown(key))
        {
            return await next(context);
        }

        logger.LogInformation("Refused {Method} {Path}: missing or unknown write key", http.Request.Method, http.Request.Path);
        http.Response.Headers.WWWAuthenticate = "Basic realm=\"SampleMind ingest\", charset=\"UTF-8\"";
        return TypedResults.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "Unknown or missing write key",
            detail: "Authenticate with HTTP Basic: the write key as the user name and an empty password.");
    }

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

    private bool IsKnown(byte[] key)
    {
        var known = false;
        foreach (var candidate in _keys)
        {
            // Constant time per candidate so response timing does not reveal key prefixes.
            known |= CryptographicOperations.FixedTimeEquals(candidate, key);
        }

        return known;
    }
}
