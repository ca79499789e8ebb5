namespace SampleMind.ClientApi.Hosting;

/// <summary>
/// Keeps trying to reach the cluster, with exponential backoff, so client-api can start before any silo
/// and becomes ready when one answers. One warning line per attempt, no stack traces.
/// </summary>
public sealed class BackoffConnectionRetryFilter(ILogger<BackoffConnectionRetryFilter> logger) : IClientConnectionRetryFilter
{
    private static readonly TimeSpan InitialDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    private int _attempt;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return false;
        }

        var attempt = Interlocked.Increment(ref _attempt);
        var delay = TimeSpan.FromMilliseconds(Math.Min(MaxDelay.TotalMilliseconds, InitialDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 10))));
        logger.LogWarning("Cluster not reachable yet (attempt {Attempt}): {Reason}; retrying in {Delay:0.0} s",
            attempt, exception.GetBaseException().Message.ReplaceLineEndings(" "), delay.TotalSeconds);
        try
        {
            await Task.Delay(delay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        return true;
    }
}
