using System.Globalization;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using SampleMind.ClientApi.Ingest;
using SampleMind.Operations;

namespace SampleMind.ClientApi.Hosting;

/// <summary>One key's token bucket: <see cref="PermitsPerSecond"/> requests a second, bursts up to <see cref="Burst"/>; 0 turns it off.</summary>
public sealed class RateLimitSettings
{
    public double PermitsPerSecond { get; set; } = 2_000;

    /// <summary>Requests one key may send at once before it has to wait (default: one second's worth).</summary>
    public int? Burst { get; set; }
}

/// <summary>
/// Rate limits per key (ASP.NET Core's rate limiter): ingest (<c>/v1/*</c>, <c>/beacon/*</c>) per write key
/// (<c>Ingest:RateLimit</c>), the API (<c>/api/*</c>) per API key (<c>Auth:RateLimit</c>); a request without a key
/// shares its client address's bucket. Past the limit: 429 ProblemDetails with Retry-After. A write key is public in a
/// browser, so one page or one client cannot take the whole ingest path from everyone else.
/// </summary>
public static class RateLimitHostingExtensions
{
    public static WebApplicationBuilder AddClientRateLimits(this WebApplicationBuilder builder)
    {
        var ingest = builder.Configuration.GetSection("Ingest:RateLimit").Get<RateLimitSettings>() ?? new RateLimitSettings();
        var api = builder.Configuration.GetSection("Auth:RateLimit").Get<RateLimitSettings>() ?? new RateLimitSettings();
        builder.Services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => Partition(context) switch
            {
                ("ingest", var key) when ingest.PermitsPerSecond > 0 => Bucket("ingest:" + key, ingest),
                ("api", var key) when api.PermitsPerSecond > 0 => Bucket("api:" + key, api),
                _ => RateLimitPartition.GetNoLimiter(""),
            });
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                if (Partition(context.HttpContext).Kind == "ingest")
                {
                    SampleMindMetrics.IngestRejected.Add(1, new KeyValuePair<string, object?>("reason", "rate_limited"));
                }
                context.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await Results.Problem(
                        statusCode: StatusCodes.Status429TooManyRequests,
                        title: "Too many requests",
                        detail: $"This key sent more requests than its rate limit allows; retry after {retryAfter} s (the same request: nothing of it was stored).")
                    .ExecuteAsync(context.HttpContext);
            };
        });
        return builder;
    }

    /// <summary>
    /// Which limit a request falls under and its key. Ingest: the write key of a Basic Authorization header, else of the
    /// <c>writeKey</c> query parameter (<c>/beacon/*</c>) — one bucket per write key however it is sent — else the peer
    /// address: a key in the body (analytics.js without an Authorization header) is only known once the body is read,
    /// after the limiter has decided. The API: the Authorization header, else the peer address.
    /// </summary>
    internal static (string Kind, string Key) Partition(HttpContext context)
    {
        var path = context.Request.Path;
        var kind = IngestCorsMiddleware.IsIngestPath(path) ? "ingest"
            : path.StartsWithSegments("/api") ? "api"
            : null;
        if (kind is null)
        {
            return ("none", "");
        }
        var key = context.Request.Headers.Authorization.ToString();
        if (kind == "ingest")
        {
            if (WriteKeyAuthenticationHandler.TryGetWriteKey(key, out var headerKey))
            {
                key = "key:" + Encoding.UTF8.GetString(headerKey);
            }
            else if (key.Length == 0 && WriteKeyAuthenticationHandler.TryGetQueryKey(context.Request, out var queryKey))
            {
                key = "key:" + queryKey;
            }
        }
        if (key.Length == 0)
        {
            key = "peer:" + context.Connection.RemoteIpAddress;
        }
        return (kind, key);
    }

    private static RateLimitPartition<string> Bucket(string key, RateLimitSettings settings) =>
        RateLimitPartition.GetTokenBucketLimiter(key, _ =>
        {
            // Below one a second, one token comes back every 1/rate seconds (0.1 = one request every 10 s).
            var (tokens, period) = settings.PermitsPerSecond >= 1
                ? ((int)Math.Ceiling(settings.PermitsPerSecond), TimeSpan.FromSeconds(1))
                : (1, TimeSpan.FromSeconds(1 / settings.PermitsPerSecond));
            return new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(1, settings.Burst ?? tokens),
                TokensPerPeriod = tokens,
                ReplenishmentPeriod = period,
                QueueLimit = 0,
                AutoReplenishment = true,
            };
        });
}
