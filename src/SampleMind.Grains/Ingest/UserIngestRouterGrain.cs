using Orleans.Concurrency;
using SampleMind.Users;

namespace SampleMind.Ingest;

/// <summary>See <see cref="IUserIngestRouterGrain"/>: local to the silo that receives the call, many requests at once.</summary>
[StatelessWorker, Reentrant]
public sealed class UserIngestRouterGrain(IGrainFactory grains) : Grain, IUserIngestRouterGrain
{
    public Task<UserIngestOutcome> IngestAsync(UserEventBatch[] users, int maxConcurrentCalls)
        => UserIngestFanOut.IngestAsync(grains, users, maxConcurrentCalls);
}
