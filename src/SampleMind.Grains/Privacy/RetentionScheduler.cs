using Microsoft.Extensions.Logging;

namespace SampleMind.Privacy;

/// <summary>
/// Asks the retention grain to register (or remove) its reminder once this silo is active: a reminder needs one call to
/// exist, and every silo making it is harmless (it is an upsert). A failure is logged; the next silo start tries again.
/// </summary>
public sealed class RetentionScheduler(IGrainFactory grains, ILogger<RetentionScheduler> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle)
        => lifecycle.Subscribe(nameof(RetentionScheduler), ServiceLifecycleStage.Active, ct =>
        {
            // Not awaited: the silo's start must not wait on the reminder table.
            _ = Task.Run(async () =>
            {
                try
                {
                    await grains.GetGrain<IRetentionPolicyGrain>(IRetentionPolicyGrain.Key).EnsureScheduledAsync();
                }
                catch (Exception exception)
                {
                    logger.LogWarning(exception, "Scheduling the retention job failed; it is tried again at the next silo start");
                }
            }, CancellationToken.None);
            return Task.CompletedTask;
        });
}
