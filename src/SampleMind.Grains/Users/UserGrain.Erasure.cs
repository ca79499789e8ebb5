using Microsoft.Extensions.Logging;
using SampleMind.Analytics.Users;
using SampleMind.Privacy;
using SampleMind.Rollups;

namespace SampleMind.Users;

public sealed partial class UserGrain
{
    /// <remarks>
    /// Three durable stages, so a re-run after a crash is exact: (1) the tombstones and the job's "erasing" mark in one
    /// transaction — from then on this key stores nothing (a later message is acked as a duplicate), so the log a re-run
    /// reads is the log this attempt read; (2) the negative of the person's share of every rollup, computed from that log
    /// and sent straight to the aggregate grains under the source <c>erasure/{jobId}</c> with sequence 1 per grain (a
    /// grain that took it already ignores it again; one that lost it gets it), then "subtracted"; (3) one transaction
    /// deleting every row of theirs and marking the job done. Events that reached this grain before (1) are erased with
    /// the rest; events after it are refused.
    /// </remarks>
    public async Task<ErasureResult> EraseAsync(Guid jobId)
    {
        if (_mergedInto is { } person)
        {
            return await GrainFactory.GetGrain<IUserGrain>(person).EraseAsync(jobId);
        }
        string[] keys = [UserId, .. await erasures.MergedKeysAsync(UserId)];
        var stage = await erasures.BeginAsync(jobId, keys);
        _erased = true;
        erasureCrashHook.Reached(ErasureStage.Erasing);
        long events = 0;
        if (stage == ErasureStage.Erasing)
        {
            var facts = new List<EventFacts>();
            await foreach (var row in eventLog.ReadAfterAsync(UserId, 0))
            {
                facts.Add(EventFacts.Parse(row.Payload));
            }
            events = facts.Count;
            // The person's shares still waiting in this silo's pre-aggregators reach the grains before their negation.
            await flushes.FlushAllAsync();
            if (facts.Count > 0 && !ReferenceEquals(_model, s_noEvents))
            {
                await ResolveForRollupsAsync(_model, facts, fromEvents: false);
                var capture = RollupDeltaCapture.Start();
                try
                {
                    var captures = rollups.All.Select(r => r.BeginErase(_model, facts)).ToArray();
                    var nothing = new UserModel { UserId = UserId };
                    foreach (var c in captures)
                    {
                        c.Complete(nothing);
                    }
                }
                finally
                {
                    capture.Dispose();
                }
                await capture.SendAsync($"erasure/{jobId:N}");
                foreach (var rollup in rollups.All)
                {
                    await rollup.AfterEraseAsync(facts, keys, jobId);
                }
                logger.LogInformation("Erasure {JobId}: the share of {Events} events subtracted from {Grains} aggregate grains",
                    jobId, facts.Count, capture.Keys);
            }
            await erasures.MarkSubtractedAsync(jobId, events);
            erasureCrashHook.Reached(ErasureStage.Subtracted);
        }

        _model = s_noEvents;
        _appliedSeq = 0;
        _nextSeq = 1;
        _sinceSnapshot = 0;
        _snapshotTimer?.Dispose();
        _snapshotTimer = null;
        await index.ForgetAsync(UserId);
        await erasures.DeleteAsync(jobId, keys);
        logger.LogInformation("Erasure {JobId} done: {Keys} keys", jobId, keys.Length);
        // Left to a fresh activation (which reads the tombstone); until this one goes, it refuses every message.
        this.DeactivateOnIdle();
        return new ErasureResult(UserId, keys.Length, events);
    }
}
