using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace SampleMind.Rollups;

/// <summary>A per-silo pre-aggregator that the flush service drives.</summary>
public interface IRollupFlushTarget
{
    Task FlushAsync(CancellationToken cancellationToken);

    bool IsIdle { get; }
}

public sealed class RollupOptions
{
    /// <summary>How often each silo's pre-aggregators flush to the aggregate grains.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>
/// Flushes every registered pre-aggregator every <see cref="RollupOptions.FlushInterval"/> (500 ms: freshness p99 under a second) while the silo is active, and once more on a graceful
/// stop, so that a restart loses nothing that was acknowledged.
/// </summary>
public sealed class RollupFlushService(IEnumerable<IRollupFlushTarget> targets, IOptions<RollupOptions> options) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly IRollupFlushTarget[] _targets = [.. targets];
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public void Participate(ISiloLifecycle lifecycle)
        => lifecycle.Subscribe(nameof(RollupFlushService), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    /// <summary>Flushes every pre-aggregator now.</summary>
    public Task FlushAllAsync(CancellationToken cancellationToken = default)
        => Task.WhenAll(_targets.Select(t => t.FlushAsync(cancellationToken)));

    private Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
        for (var attempt = 0; attempt < 5 && _targets.Any(t => !t.IsIdle) && !cancellationToken.IsCancellationRequested; attempt++)
        {
            await FlushAllAsync(CancellationToken.None);
        }
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(options.Value.FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                await FlushAllAsync(_stopping.Token);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }
}
