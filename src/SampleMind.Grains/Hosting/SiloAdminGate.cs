using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SampleMind.Hosting;

/// <summary>The "Silo" configuration section: who may use the silo's admin endpoints.</summary>
public sealed class SiloAdminOptions
{
    public const string SectionName = "Silo";

    /// <summary>
    /// The key of the admin endpoints (<c>Authorization: Bearer &lt;key&gt;</c>): <c>/diagnostics/*</c> and the Orleans
    /// dashboard (<c>/dashboard</c>); <c>/metrics</c> has its own gate (<c>Metrics:AllowRemote</c>, <c>Metrics:Key</c>). Empty: only loopback callers (when <see cref="TrustLoopback"/>).
    /// </summary>
    public string AdminKey { get; set; } = "";

    /// <summary>Callers on a loopback address count as admins without a key (the default: a developer's machine, bench).</summary>
    public bool TrustLoopback { get; set; } = true;

    /// <summary>Everyone may use the admin endpoints, key or not (only behind a network that is closed otherwise).</summary>
    public bool OpenEndpoints { get; set; }

    /// <summary>The shortest time between two forced full collections (<c>/diagnostics/runtime?gc=full</c>); sooner is 429.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan FullGcMinInterval { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Guards the silo's admin endpoints: <c>/diagnostics</c> and <c>/dashboard</c> need the admin key, a
/// loopback caller (unless <see cref="SiloAdminOptions.TrustLoopback"/> is off) or <see cref="SiloAdminOptions.OpenEndpoints"/>;
/// no key is 401, a wrong key 403 (ProblemDetails). <c>/health/*</c> stays open for probes. A forced full collection is
/// further limited to one per <see cref="SiloAdminOptions.FullGcMinInterval"/> (429 with Retry-After), for everyone.
/// </summary>
public static partial class SiloAdminGate
{
    private static readonly string[] GuardedPrefixes = ["/diagnostics", "/dashboard"]; // /metrics: Metrics:AllowRemote|Key, as on client-api

    private static long _lastFullGcTicks = long.MinValue;

    public static IServiceCollection AddSiloAdminGate(this IServiceCollection services)
    {
        services.AddOptions<SiloAdminOptions>()
            .BindConfiguration(SiloAdminOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        return services;
    }

    /// <summary>Adds the gate before the endpoints: call before mapping the dashboard and diagnostics.</summary>
    public static IApplicationBuilder UseSiloAdminGate(this IApplicationBuilder app)
        => app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            if (!GuardedPrefixes.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase)))
            {
                await next(context);
                return;
            }
            var options = context.RequestServices.GetRequiredService<IOptionsMonitor<SiloAdminOptions>>().CurrentValue;
            var verdict = Authorize(context, options);
            if (verdict != StatusCodes.Status200OK)
            {
                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("SampleMind.Silo.Admin");
                LogRefused(logger, path.Value ?? "", context.Connection.RemoteIpAddress?.ToString() ?? "?", verdict);
                if (verdict == StatusCodes.Status401Unauthorized)
                {
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                }
                await Results.Problem(
                    statusCode: verdict,
                    title: verdict == StatusCodes.Status401Unauthorized ? "Admin key required" : "Wrong admin key",
                    detail: "The silo's diagnostics and dashboard need 'Authorization: Bearer <Silo:AdminKey>' from a non-loopback address.")
                    .ExecuteAsync(context);
                return;
            }
            if (path.StartsWithSegments("/diagnostics/runtime", StringComparison.OrdinalIgnoreCase)
                && string.Equals(context.Request.Query["gc"], "full", StringComparison.OrdinalIgnoreCase)
                && !TryTakeFullGc(options.FullGcMinInterval, out var wait))
            {
                context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Results.Problem(
                    statusCode: StatusCodes.Status429TooManyRequests,
                    title: "Forced collection rate-limited",
                    detail: $"A full GC may be forced once per {options.FullGcMinInterval.TotalSeconds:0.#} s (Silo:FullGcMinInterval); retry after {wait.TotalSeconds:0.#} s.")
                    .ExecuteAsync(context);
                return;
            }
            await next(context);
        });

    /// <summary>200 when the caller may use an admin endpoint, else 401 (no key) or 403 (a wrong key).</summary>
    public static int Authorize(HttpContext context, SiloAdminOptions options)
    {
        if (options.OpenEndpoints)
        {
            return StatusCodes.Status200OK;
        }
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var given = header["Bearer ".Length..].Trim();
            if (options.AdminKey.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(options.AdminKey)))
            {
                return StatusCodes.Status200OK;
            }
            return StatusCodes.Status403Forbidden;
        }
        var remote = context.Connection.RemoteIpAddress;
        if (options.TrustLoopback && remote is not null && IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote))
        {
            return StatusCodes.Status200OK;
        }
        return StatusCodes.Status401Unauthorized;
    }

    private static bool TryTakeFullGc(TimeSpan minInterval, out TimeSpan wait)
    {
        while (true)
        {
            var now = Environment.TickCount64;
            var last = Interlocked.Read(ref _lastFullGcTicks);
            var since = last == long.MinValue ? long.MaxValue : now - last;
            if (since < (long)minInterval.TotalMilliseconds)
            {
                wait = TimeSpan.FromMilliseconds((long)minInterval.TotalMilliseconds - since);
                return false;
            }
            if (Interlocked.CompareExchange(ref _lastFullGcTicks, now, last) == last)
            {
                wait = TimeSpan.Zero;
                return true;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Admin endpoint {Path} refused for {Remote} ({Status})")]
    private static partial void LogRefused(ILogger logger, string path, string remote, int status);
}
