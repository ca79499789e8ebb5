using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;
using SampleMind.ClientApi.Security;

namespace SampleMind.ClientApi.Ingest;

/// <summary>
/// CORS for the ingest paths (<c>/v1/*</c>, <c>/beacon/*</c>), so browser SDKs (analytics.js 2.0, RudderStack's JS SDK v3)
/// can send from any page. It runs before rate limiting and authentication: every answer — 200, 400, 401, 413, 429,
/// 503 — carries <c>Access-Control-Allow-Origin</c>, so the page can read the ProblemDetails and the SDK can honour
/// <c>Retry-After</c>. Preflights are answered here (204) and never reach the rate limiter. With
/// <see cref="IngestOptions.AllowedOrigins"/> set, a request or preflight from another origin is refused with 403 and
/// no CORS headers; nothing of it is read or stored.
/// </summary>
public sealed class IngestCorsMiddleware(
    RequestDelegate next,
    ICorsService cors,
    IOptions<IngestOptions> options,
    IProblemDetailsService problems,
    ILogger<IngestCorsMiddleware> logger)
{
    /// <summary>
    /// Headers the SDKs send, read from their sources: analytics.js 2.0 <c>Content-Type: text/plain</c>,
    /// <c>Authorization</c> (Basic, since 1.7x) and <c>X-Retry-Count</c>; RudderStack v3 <c>Content-Type:
    /// application/json</c>, <c>Authorization</c>, <c>AnonymousId</c>, <c>SentAt</c> and its <c>Rsa-*</c> retry headers.
    /// Any requested header is allowed (analytics.js lets a page add its own through <c>deliveryStrategy.config.headers</c>);
    /// this list is what the tests hold the preflight to.
    /// </summary>
    public static readonly string[] SdkHeaders =
    [
        "Authorization", "Content-Type", "AnonymousId", "SentAt", "X-Retry-Count",
        "Rsa-Recovered", "Rsa-Retry-Attempt", "Rsa-Since-Last-Attempt", "Rsa-Since-First-Attempt", "Rsa-Retry-Reason",
    ];

    /// <summary>Browsers cache an allowed preflight this long (Chromium caps it at 2 hours).</summary>
    public static readonly TimeSpan PreflightMaxAge = TimeSpan.FromHours(2);

    private readonly CorsPolicy _policy = BuildPolicy(options.Value.AllowedOrigins);

    // With a list, the answer depends on the Origin header (ACAO, or 403): caches must key on it.
    private readonly bool _varyByOrigin = options.Value.AllowedOrigins.Length > 0;

    public static bool IsIngestPath(PathString path) => path.StartsWithSegments("/v1") || path.StartsWithSegments("/beacon");

    public async Task InvokeAsync(HttpContext context)
    {
        if (!IsIngestPath(context.Request.Path) || !context.Request.Headers.ContainsKey("Origin"))
        {
            await next(context);
            return;
        }

        var result = cors.EvaluatePolicy(context, _policy);
        result.VaryByOrigin |= _varyByOrigin;
        if (!result.IsOriginAllowed)
        {
            logger.LogInformation("Refused {Method} {Path} from origin {Origin}: not in Ingest:AllowedOrigins",
                context.Request.Method, context.Request.Path, context.Request.Headers.Origin.ToString());
            context.Response.Headers.Append("Vary", "Origin"); // no CORS headers for an origin not allowed
            await problems.WriteStatusAsync(context, StatusCodes.Status403Forbidden, "Origin not allowed",
                "This origin is not in Ingest:AllowedOrigins; nothing was stored.");
            return;
        }

        if (result.IsPreflightRequest)
        {
            cors.ApplyResult(result, context.Response);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        // Applied when the response starts, so answers written later (the rate limiter's 429, the write key's 401, an
        // exception handler that clears the headers) carry them too.
        context.Response.OnStarting(() =>
        {
            cors.ApplyResult(result, context.Response);
            return Task.CompletedTask;
        });
        await next(context);
    }

    private static CorsPolicy BuildPolicy(string[] allowedOrigins)
    {
        var policy = new CorsPolicyBuilder()
            .AllowAnyHeader()
            .WithMethods("POST")
            .WithExposedHeaders("Retry-After", "WWW-Authenticate")
            .SetPreflightMaxAge(PreflightMaxAge);
        return (allowedOrigins.Length == 0 ? policy.AllowAnyOrigin() : policy.WithOrigins(allowedOrigins)).Build();
    }
}
