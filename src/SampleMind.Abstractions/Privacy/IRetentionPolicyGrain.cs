using Orleans.Concurrency;

namespace SampleMind.Privacy;

/// <summary>
/// The retention job (one per cluster, key <see cref="Key"/>): on its reminder, or when an operator asks, it erases the
/// people inactive past the grace period and trims the raw events older than the horizons from the log through each
/// user's grain; a durable run record holds what it removed.
/// </summary>
public interface IRetentionPolicyGrain : IGrainWithStringKey
{
    /// <summary>The one grain's key.</summary>
    public const string Key = "retention";

    /// <summary>Registers (or, when the job is off, removes) the reminder; every silo calls it when it starts.</summary>
    Task EnsureScheduledAsync();

    /// <summary>
    /// Runs the policy now (<paramref name="dryRun"/>: counts what it would remove and deletes nothing). Idempotent: a
    /// second run at the same cut-offs removes nothing; a run after a crashed one finishes its work.
    /// </summary>
    [ResponseTimeout("01:00:00")]
    Task<RetentionRunResult> RunAsync(bool dryRun);

    /// <summary>The latest runs, newest first.</summary>
    [AlwaysInterleave]
    Task<RetentionRunResult[]> RecentAsync(int count);
}

/// <summary>
/// One retention run: its cut-offs and what it removed (a dry run: would remove) and kept, per class. Kept counts are
/// the log's events of each class after the run.
/// </summary>
[GenerateSerializer, Immutable, Alias("sm.retention-run")]
public sealed record class RetentionRunResult(
    [property: Id(0)] Guid RunId,
    [property: Id(1)] bool DryRun,
    [property: Id(2)] string State,
    [property: Id(3)] DateOnly AnalyticsBefore,
    [property: Id(4)] DateOnly FinancialBefore,
    [property: Id(5)] DateTimeOffset InactiveBefore,
    [property: Id(6)] string InactiveAction,
    [property: Id(7)] int UsersTrimmed,
    [property: Id(8)] long AnalyticsEventsDeleted,
    [property: Id(9)] long FinancialEventsDeleted,
    [property: Id(10)] int InactiveUsersErased,
    [property: Id(11)] long InactiveEventsErased,
    [property: Id(12)] long? AnalyticsEventsKept,
    [property: Id(13)] long? FinancialEventsKept,
    [property: Id(14)] DateTimeOffset StartedAt,
    [property: Id(15)] DateTimeOffset? FinishedAt,
    [property: Id(16)] string? LastError);

/// <summary>What one user's grain deleted from its log under a retention run.</summary>
[GenerateSerializer, Immutable, Alias("sm.retention-trim")]
public sealed record class RetentionTrimResult(
    [property: Id(0)] long AnalyticsEvents,
    [property: Id(1)] long FinancialEvents);
