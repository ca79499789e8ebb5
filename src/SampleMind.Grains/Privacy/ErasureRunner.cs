using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SampleMind.Users;

namespace SampleMind.Privacy;

/// <summary>
/// Runs erasure jobs on a silo: every <see cref="ErasureOptions.JobPollInterval"/> it claims the open jobs whose lease
/// ran out (<see cref="ErasureOptions.JobLease"/>) one by one and calls <see cref="IUserGrain.EraseAsync"/>. A silo that
/// dies mid-way holds its lease until it runs out; then any silo (the restarted one too) re-runs the job, which goes on
/// from the stage it reached. A failed attempt gives the job back to be tried again after one poll interval.
/// </summary>
public sealed class ErasureRunner(
    ErasureStore store,
    IGrainFactory grains,
    IOptions<ErasureOptions> options,
    ILogger<ErasureRunner> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly string _owner = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public void Participate(ISiloLifecycle lifecycle)
        => lifecycle.Subscribe(nameof(ErasureRunner), ServiceLifecycleStage.Active, _ =>
        {
            _loop = Task.Run(RunAsync, CancellationToken.None);
            return Task.CompletedTask;
        }, async _ =>
        {
            await _stopping.CancelAsync();
            if (_loop is not null)
            {
                await _loop;
            }
        });

    /// <summary>Runs the due jobs until none is left; returns how many finished.</summary>
    public async Task<int> RunDueAsync(CancellationToken cancellationToken = default)
    {
        var finished = 0;
        while (!cancellationToken.IsCancellationRequested && await store.ClaimAsync(_owner, cancellationToken) is { } job)
        {
            try
            {
                var result = await grains.GetGrain<IUserGrain>(job.UserId).EraseAsync(job.Id);
                finished++;
                logger.LogInformation("Erasure {JobId} finished: {Keys} keys, {Events} events", job.Id, result.Keys, result.Events);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogWarning(exception, "Erasure {JobId} failed; it is tried again in {Interval}", job.Id, options.Value.JobPollInterval);
                await store.ReleaseAsync(job.Id, exception.GetBaseException().Message, options.Value.JobPollInterval, CancellationToken.None);
            }
        }
        return finished;
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(options.Value.JobPollInterval);
        try
        {
            do
            {
                try
                {
                    await RunDueAsync(_stopping.Token);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    logger.LogWarning(exception, "looking for erasure jobs failed; trying again in {Interval}", options.Value.JobPollInterval);
                }
            }
            while (await timer.WaitForNextTickAsync(_stopping.Token));
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }
}
