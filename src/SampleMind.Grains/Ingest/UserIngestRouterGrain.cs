using System.Diagnostics;
using Orleans.Concurrency;
using SampleMind.Operations;
using SampleMind.Users;

namespace SampleMind.Ingest;

/// <summary>See <see cref="IUserIngestRouterGrain"/>: local to the silo that receives the call, many requests at once.</summary>
[StatelessWorker, Reentrant]
public sealed class UserIngestRouterGrain(IGrainFactory grains) : Grain, IUserIngestRouterGrain
{
    public async Task<UserIngestOutcome> IngestAsync(UserEventBatch[] users, int maxConcurrentCalls)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = await UserIngestFanOut.IngestAsync(grains, users, maxConcurrentCalls);
        SampleMindMetrics.RecordStage("fan_out", started);
        return outcome;
    }
}
