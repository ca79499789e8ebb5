using Microsoft.AspNetCore.Diagnostics;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;

namespace SampleMind.ClientApi.Hosting;

/// <summary>
/// A cluster that cannot be reached (no silo, a silo that died mid-call, a call that timed out) is a 503 with
/// Retry-After, not a 500: the request can simply be repeated.
/// </summary>
public sealed partial class ClusterUnavailableExceptionHandler(IProblemDetailsService problems, ILogger<ClusterUnavailableExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (SiloUnavailableException or ConnectionFailedException or OrleansMessageRejectionException or TimeoutException))
        {
            return false;
        }
        LogUnavailable(logger, context.Request.Method, context.Request.Path, exception.GetType().Name);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "1";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The SampleMind cluster is unavailable",
                Detail = "no silo answered in time; retry the request",
            },
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path}: the cluster is unavailable ({Exception})")]
    private static partial void LogUnavailable(ILogger logger, string method, string path, string exception);
}
