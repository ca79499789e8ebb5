using SampleMind.Ingest;

namespace SampleMind.Users;

/// <summary>
/// Takes one request's events for many users in one call and calls each user's grain from inside the cluster, so a
/// /v1/batch of 100 users costs client-api one message to the silo instead of 100. A stateless worker: every silo
/// runs it locally, reentrant, next to the user grains it calls.
/// </summary>
public interface IUserIngestRouterGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Calls <see cref="IUserGrain.IngestAsync"/> for every user (at most <paramref name="maxConcurrentCalls"/> at a
    /// time), every one even when another fails. When it returns with no failure, every event is durable.
    /// </summary>
    Task<UserIngestOutcome> IngestAsync(UserEventBatch[] users, int maxConcurrentCalls);
}

/// <summary>How many users' calls failed (their events may or may not be durable: the client retries) and the first error.</summary>
[GenerateSerializer, Immutable, Alias("sm.user-ingest-outcome")]
public sealed record class UserIngestOutcome(
    [property: Id(0)] int Users,
    [property: Id(1)] int FailedUsers,
    [property: Id(2)] string? FirstError);

/// <summary>The fan-out of <see cref="IUserIngestRouterGrain"/>: one call per user, bounded, each made even when another fails.</summary>
public static class UserIngestFanOut
{
    public static async Task<UserIngestOutcome> IngestAsync(IGrainFactory grains, UserEventBatch[] users, int maxConcurrentCalls)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(users);
        using var gate = new SemaphoreSlim(Math.Max(1, maxConcurrentCalls));
        var calls = new Task[users.Length];
        for (var i = 0; i < users.Length; i++)
        {
            calls[i] = CallAsync(users[i]);
        }
        try
        {
            await Task.WhenAll(calls);
        }
        catch (Exception)
        {
            // Counted per call below.
        }

        var failed = calls.Where(c => c.IsFaulted).ToArray();
        return new UserIngestOutcome(users.Length, failed.Length, failed.Length == 0 ? null : Describe(failed[0].Exception!.GetBaseException()));

        static string Describe(Exception e) => $"{e.GetType().Name}: {e.Message}";

        async Task CallAsync(UserEventBatch user)
        {
            await gate.WaitAsync();
            try
            {
                await grains.GetGrain<IUserGrain>(user.UserKey).IngestAsync(user.Events);
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
