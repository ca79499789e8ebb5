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

/// <summary>
/// How many users' calls failed for a passing reason (their events may or may not be durable: the client retries) and the
/// first error; and the events the store refused for good (<see cref="EventRejectedException"/>: nothing of those users'
/// calls was stored, and a retry fails the same way).
/// </summary>
[GenerateSerializer, Immutable, Alias("sm.user-ingest-outcome")]
public sealed record class UserIngestOutcome(
    [property: Id(0)] int Users,
    [property: Id(1)] int FailedUsers,
    [property: Id(2)] string? FirstError)
{
    /// <summary>Users whose events were refused for good.</summary>
    [Id(3)] public int RejectedUsers { get; init; }

    /// <summary>The refused events (messageIds cut to 64 characters), at most 100.</summary>
    [Id(4)] public RejectedEvent[] Rejected { get; init; } = [];

    /// <summary>
    /// Per user, in request order, how many of their events the log already held (<see cref="IngestResult.Duplicates"/>);
    /// empty when there were none. What data quality counts as duplicates.
    /// </summary>
    [Id(5)] public int[] Duplicates { get; init; } = [];
}

/// <summary>One event the store refused for good, with PostgreSQL's reason.</summary>
[GenerateSerializer, Immutable, Alias("sm.rejected-event")]
public sealed record class RejectedEvent(
    [property: Id(0)] string MessageId,
    [property: Id(1)] string SqlState,
    [property: Id(2)] string Reason);

/// <summary>The fan-out of <see cref="IUserIngestRouterGrain"/>: one call per user, bounded, each made even when another fails.</summary>
public static class UserIngestFanOut
{
    public static async Task<UserIngestOutcome> IngestAsync(IGrainFactory grains, UserEventBatch[] users, int maxConcurrentCalls)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(users);
        using var gate = new SemaphoreSlim(Math.Max(1, maxConcurrentCalls));
        var calls = new Task[users.Length];
        var duplicates = new int[users.Length];
        for (var i = 0; i < users.Length; i++)
        {
            calls[i] = CallAsync(users[i], i);
        }
        try
        {
            await Task.WhenAll(calls);
        }
        catch (Exception)
        {
            // Counted per call below.
        }

        return OutcomeOf(calls, duplicates);

        async Task CallAsync(UserEventBatch user, int index)
        {
            await gate.WaitAsync();
            try
            {
                var result = await grains.GetGrain<IUserGrain>(user.UserKey).IngestAsync(user.Events);
                duplicates[index] = result.Duplicates;
            }
            finally
            {
                gate.Release();
            }
        }
    }

    /// <summary>
    /// The outcome of one request's finished user calls. Every call that did not complete successfully failed: one that
    /// faulted, and also one that ended <em>cancelled</em> — Orleans cancels a call it could not address (a silo died
    /// with the grain's directory entry), and such a call never ran: counting it as done would answer 200 for events
    /// that were never stored. Only <see cref="EventRejectedException"/> is refused for good.
    /// </summary>
    public static UserIngestOutcome OutcomeOf(IReadOnlyList<Task> calls, int[]? duplicates = null)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var rejected = calls.Where(c => c.IsFaulted && c.Exception!.GetBaseException() is EventRejectedException).ToArray();
        var failed = calls.Where(c => !c.IsCompletedSuccessfully && !rejected.Contains(c)).ToArray();
        return new UserIngestOutcome(calls.Count, failed.Length, failed.Length == 0 ? null : Describe(failed[0]))
        {
            RejectedUsers = rejected.Length,
            Rejected = [.. rejected
                .Select(c => (EventRejectedException)c.Exception!.GetBaseException())
                .SelectMany(e => e.MessageIds.Select(m => new RejectedEvent(m, e.SqlState, e.Reason)))
                .Take(100)],
            Duplicates = duplicates is not null && duplicates.Any(d => d > 0) ? duplicates : [],
        };

        static string Describe(Task call) => call switch
        {
            { IsFaulted: true } => $"{call.Exception!.GetBaseException().GetType().Name}: {call.Exception!.GetBaseException().Message}",
            { IsCanceled: true } => "TaskCanceledException: the call was cancelled before the grain ran it (it could not be addressed)",
            _ => "the call had not finished",
        };
    }
}
