using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SampleMind.Analytics.Privacy;
using SampleMind.Users;

namespace SampleMind.Privacy;

/// <summary>
/// The retention job. A run writes its record first, then (1) erases the people inactive past the grace period through
/// the erasure jobs (while their log is still whole, so the erasure subtracts every share they had), then (2) asks each
/// user grain with rows older than the cut-offs to delete them itself (its snapshot and the log stay in agreement; the
/// aggregates keep the shares), then records the counts. Every step is idempotent, so a run after a crash finishes
/// what the crashed one left.
/// </summary>
public sealed class RetentionPolicyGrain(
    RetentionStore store,
    ErasureStore erasures,
    TimeProvider timeProvider,
    IOptions<RetentionOptions> options,
    ILogger<RetentionPolicyGrain> logger) : Grain, IRetentionPolicyGrain, IRemindable
{
    private const string ReminderName = "retention";

    /// <summary>How many user grains a run calls at once.</summary>
    private const int Parallelism = 16;

    public async Task EnsureScheduledAsync()
    {
        var o = options.Value;
        if (o.Enabled)
        {
            await this.RegisterOrUpdateReminder(ReminderName, o.Interval, o.Interval);
        }
        else if (await this.GetReminder(ReminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReminderName)
        {
            return;
        }
        if (!options.Value.Enabled)
        {
            await EnsureScheduledAsync();
            return;
        }
        try
        {
            await RunAsync(dryRun: false);
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "The retention run failed; the next one ({Interval}) finishes its work", options.Value.Interval);
        }
    }

    public async Task<RetentionRunResult> RunAsync(bool dryRun)
    {
        var o = options.Value;
        var cutoffs = RetentionPolicy.CutoffsAt(timeProvider.GetUtcNow(), o.AnalyticsDays, o.FinancialDays, o.InactiveDays);
        var runId = Guid.NewGuid();
        var started = timeProvider.GetUtcNow();
        await store.StartAsync(runId, dryRun, cutoffs, o.InactiveUsers);
        var result = new RetentionRunResult(runId, dryRun, "running", cutoffs.AnalyticsBefore, cutoffs.FinancialBefore,
            cutoffs.InactiveBefore, o.InactiveUsers.ToString().ToLowerInvariant(), 0, 0, 0, 0, 0, null, null, started, null, null);
        try
        {
            result = dryRun ? await CountAsync(cutoffs, o.InactiveUsers, result) : await RemoveAsync(runId, cutoffs, o.InactiveUsers, result);
            await store.FinishAsync(runId, result, error: null);
            logger.LogInformation(
                "Retention run {RunId} (dry run {DryRun}): {Erased} inactive people erased ({ErasedEvents} events), "
                + "{Analytics} raw and {Financial} financial events deleted from {Users} users",
                runId, dryRun, result.InactiveUsersErased, result.InactiveEventsErased,
                result.AnalyticsEventsDeleted, result.FinancialEventsDeleted, result.UsersTrimmed);
            return result with { State = "done", FinishedAt = timeProvider.GetUtcNow() };
        }
        catch (Exception exception)
        {
            await store.FinishAsync(runId, result, exception.GetBaseException().Message);
            throw;
        }
    }

    public Task<RetentionRunResult[]> RecentAsync(int count) => store.RecentAsync(Math.Clamp(count, 1, 1_000));

    private async Task<RetentionRunResult> RemoveAsync(Guid runId, RetentionCutoffs cutoffs, InactiveUserAction action, RetentionRunResult result)
    {
        if (action == InactiveUserAction.Erase)
        {
            var owner = $"retention/{runId:N}";
            foreach (var chunk in (await store.InactiveAsync(cutoffs.InactiveBefore)).Chunk(Parallelism))
            {
                var erased = await Task.WhenAll(chunk.Select(async user =>
                {
                    var job = await erasures.RequestAsync(user.UserId, "retention", owner);
                    return await GrainFactory.GetGrain<IUserGrain>(user.UserId).EraseAsync(job);
                }));
                result = result with
                {
                    InactiveUsersErased = result.InactiveUsersErased + erased.Length,
                    InactiveEventsErased = result.InactiveEventsErased + erased.Sum(e => e.Events),
                };
            }
        }
        foreach (var chunk in (await store.TrimCandidatesAsync(cutoffs.AnalyticsBefore, cutoffs.FinancialBefore)).Chunk(Parallelism))
        {
            var trimmed = await Task.WhenAll(chunk.Select(user
                => GrainFactory.GetGrain<IUserGrain>(user.UserId).ApplyRetentionAsync(cutoffs.AnalyticsBefore, cutoffs.FinancialBefore)));
            result = result with
            {
                UsersTrimmed = result.UsersTrimmed + trimmed.Count(t => t.AnalyticsEvents + t.FinancialEvents > 0),
                AnalyticsEventsDeleted = result.AnalyticsEventsDeleted + trimmed.Sum(t => t.AnalyticsEvents),
                FinancialEventsDeleted = result.FinancialEventsDeleted + trimmed.Sum(t => t.FinancialEvents),
            };
        }
        var (analyticsKept, financialKept) = await store.KeptAsync();
        return result with { AnalyticsEventsKept = analyticsKept, FinancialEventsKept = financialKept };
    }

    /// <summary>A dry run's figures: what <see cref="RemoveAsync"/> would remove, and what the log would keep.</summary>
    private async Task<RetentionRunResult> CountAsync(RetentionCutoffs cutoffs, InactiveUserAction action, RetentionRunResult result)
    {
        var inactive = action == InactiveUserAction.Erase ? await store.InactiveAsync(cutoffs.InactiveBefore) : [];
        var erased = inactive.Select(u => u.UserId).ToHashSet(StringComparer.Ordinal);
        var trimmed = (await store.TrimCandidatesAsync(cutoffs.AnalyticsBefore, cutoffs.FinancialBefore))
            .Where(u => !erased.Contains(u.UserId)).ToList();
        var (analyticsHeld, financialHeld) = await store.KeptAsync();
        var (analyticsErased, financialErased) = await store.ClassesOfAsync([.. erased]);
        return result with
        {
            AnalyticsEventsKept = analyticsHeld - analyticsErased - trimmed.Sum(u => u.Analytics),
            FinancialEventsKept = financialHeld - financialErased - trimmed.Sum(u => u.Financial),
            InactiveUsersErased = inactive.Count,
            InactiveEventsErased = inactive.Sum(u => u.Events),
            UsersTrimmed = trimmed.Count,
            AnalyticsEventsDeleted = trimmed.Sum(u => u.Analytics),
            FinancialEventsDeleted = trimmed.Sum(u => u.Financial),
        };
    }
}
