using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SampleMind.Analytics.Users;
using SampleMind.Churn;
using SampleMind.Identity;
using SampleMind.Ingest;
using SampleMind.Operations;
using SampleMind.Rollups;

namespace SampleMind.Users;

/// <summary>
/// One user's live 360° state. Ingest = dedupe + append to the event log (group commit) + apply + derive, in one call;
/// the snapshot is written behind and the log tail is replayed on activation.
/// </summary>
public sealed partial class UserGrain(
    [PersistentState("user", "Default")] IPersistentState<UserState> state,
    IUserEventLog eventLog,
    IIdentityLinks identity,
    MergeCrashHook crashHook,
    UserRollups rollups,
    IChurnScorer churnScorer,
    IUserIndexSink index,
    Privacy.ErasureStore erasures,
    Privacy.ErasureCrashHook erasureCrashHook,
    Privacy.RetentionStore retention,
    RollupFlushService flushes,
    DimensionRegistry dimensions,
    Experiments.ExperimentDefinitions experiments,
    TimeProvider timeProvider,
    IOptions<UserGrainOptions> options,
    ILogger<UserGrain> logger) : Grain, IUserGrain
{
    // A user activated by a read who has no events shares this one (never written to): no model of its own until the first event.
    private static readonly UserModel s_noEvents = new();

    private UserModel _model = s_noEvents;
    private long _nextSeq = 1;
    private long _appliedSeq;
    private int _sinceSnapshot;
    private IGrainTimer? _snapshotTimer; // only while a snapshot is pending: most live users hold none
    private string? _mergedInto; // set once this key is merged into a person: ingest and reads go there
    private bool _erased; // tombstoned (or being erased): every message is a duplicate, nothing is stored

    /// <summary>How many merged keys a merge follows before it gives up (a chain is re-pointed flat by every merge).</summary>
    private const int MaxMergeHops = 8;

    /// <summary>How many appends one ingest makes when rows keep losing their log positions to a writer it did not know.</summary>
    private const int MaxStoreAttempts = 3;

    private string UserId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await ActivateAsync(cancellationToken);
        SampleMindMetrics.RecordStage("activation", started);
    }

    private async Task ActivateAsync(CancellationToken cancellationToken)
    {
        // A merged key keeps no state of its own: its events are the person's (the merge moved them in the same
        // transaction that wrote the link), so its snapshot, if a crash between that commit and the hand-over's clear
        // left one, is not read but cleared now: a stale copy of the anonymous profile must not stay in storage.
        // The tombstone is read beside the identity link (one round trip's time): an erased key stores nothing again,
        // also when an erasure's later stages are still to run (a re-run must find the log its first attempt saw).
        var tombstoned = erasures.IsTombstonedAsync(UserId, cancellationToken);
        var merged = identity.PersonOfAsync(UserId, cancellationToken);
        _erased = await tombstoned;
        if (await merged is { } person)
        {
            _mergedInto = person;
            state.State.Model = null;
            if (state.RecordExists)
            {
                await state.ClearStateAsync(cancellationToken);
            }
            return;
        }

        if (state.State.AppliedSeq > 0 && state.State.Model is not { Length: > 0 })
        {
            // A migrated activation (Orleans moved the grain to another silo, on request or by a rebalancer) starts from
            // the state object the old one held, not from storage, and that object keeps no snapshot bytes between
            // writes (see WriteSnapshotAsync): its log position without its model. The old activation wrote the snapshot
            // in OnDeactivateAsync just before it moved, so read it back; without one, rebuild from the whole log.
            await state.ReadStateAsync(cancellationToken);
            if (state.State.Model is not { Length: > 0 })
            {
                logger.LogWarning("{UserId} has a log position without a snapshot; rebuilding the user from the event log", UserId);
                state.State.AppliedSeq = 0;
            }
        }

        _appliedSeq = state.State.AppliedSeq;
        _retained = RetainedOf(state.State);
        if (state.State.Model is { Length: > 0 } bytes)
        {
            if (UserSnapshots.Read(bytes) is { } model)
            {
                _model = model;
                _model.UserId = UserId;
            }
            else
            {
                // A snapshot of an older format (or a damaged one): the log holds every event, so rebuild from all of it.
                logger.LogWarning("{UserId} has a snapshot this version cannot read; rebuilding the user from the event log", UserId);
                _appliedSeq = 0;
            }
        }
        state.State.Model = null; // the bytes are only read here: do not keep a second copy of the user in memory
        _nextSeq = _appliedSeq + 1;

        // Replayed events are not reported to the KPI pre-aggregator: after a graceful stop there are none, and after a
        // crash most were reported before it; `samplemind reconcile --fix` recomputes the affected days from the log.
        var replayed = 0;
        await foreach (var stored in eventLog.ReadAfterAsync(UserId, _appliedSeq, cancellationToken))
        {
            Writable().Apply(EventFacts.Parse(stored.Payload));
            _appliedSeq = Math.Max(_appliedSeq, stored.Seq);
            replayed++;
        }
        _nextSeq = _appliedSeq + 1;
        if (replayed > 0)
        {
            logger.LogInformation("{UserId} replayed {Count} events from the log after its snapshot", UserId, replayed);
            PostIndexRow(); // the index may not have seen these events (a crash before its flush, or an imported log)
            SnapshotPending(replayed);
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_sinceSnapshot > 0 && _mergedInto is null && !_erased)
        {
            await WriteSnapshotAsync();
        }
    }

    public async Task<IngestResult> IngestAsync(UserEvent[] events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (_mergedInto is { } person)
        {
            return await GrainFactory.GetGrain<IUserGrain>(person).IngestAsync(events);
        }
        if (_erased)
        {
            return new IngestResult(events.Length, 0, events.Length, 0); // acked as duplicates: a retry must not bring them back
        }
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await IngestHereAsync(events);
        }
        finally
        {
            SampleMindMetrics.RecordStage("user_grain", started);
        }
    }

    private async Task<IngestResult> IngestHereAsync(UserEvent[] events)
    {

        // Parse before anything is stored; an event older than the retention cut-offs this log was trimmed to is acked as a
        // duplicate and not stored (a retried trimmed message must not come back and change a day that is no longer checked).: an event the model cannot read must never reach the log.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var accepted = new List<(UserEvent Event, EventFacts Facts)>(events.Length);
        foreach (var e in events)
        {
            if (seen.Add(e.MessageId) && _retained?.Deletes(e.Type, e.Name, e.Timestamp) != true)
            {
                accepted.Add((e, EventFacts.Parse(e.Json)));
            }
        }

        // Client-supplied dimension values are admitted (or refused: "(other)") before their events are stored, so the
        // mapping the rollups apply is in the registry for any stored event, and the SQL oracle applies the same.
        await dimensions.ResolveAsync(DimensionRegistry.ValuesOf(_model, accepted.Select(a => a.Facts)));
        // Likewise every experiment an exposure names is known to this silo's rollup by the time the exposure is applied.
        await experiments.ResolveAsync(Experiments.ExperimentDefinitions.ExposedIn(accepted.Select(a => a.Facts)));

        var (fresh, applied) = await StoreAsync(accepted);
        if (fresh.Count > 0)
        {
            // Each rollup reports this user's share after the events minus before (replay reports none: see OnActivateAsync).
            var applyStarted = Stopwatch.GetTimestamp();
            var model = Writable();
            var captures = rollups.All.Select(r => r.Begin(model, fresh)).ToArray();
            foreach (var facts in fresh)
            {
                model.Apply(facts);
            }
            foreach (var capture in captures)
            {
                capture.Complete(model);
            }
            SampleMindMetrics.RecordStage("apply", applyStarted);
        }

        // Identity resolution after the events are durable and applied: every identify/alias of the call runs its merge,
        // a duplicate (a client's retry) too, so a merge a crash interrupted is resumed; one already done is a no-op.
        // The rows of an earlier activation's late append (in fresh) may hold merges that it never ran.
        var absorbed = 0;
        foreach (var facts in accepted.Select(a => a.Facts).Concat(fresh).DistinctBy(f => f.MessageId))
        {
            if (facts.MergeFrom is { } from)
            {
                absorbed += await MergeAsync(from, facts.Type, facts.MessageId);
            }
        }

        if (fresh.Count + absorbed > 0)
        {
            PostIndexRow(); // the segment and risk as of now, once per ingest (segment moves roll up through SegmentUserRollup)
            SnapshotPending(fresh.Count + absorbed);
            if (_sinceSnapshot >= options.Value.SnapshotEveryEvents)
            {
                await WriteSnapshotAsync();
            }
        }

        return new IngestResult(events.Length, applied, events.Length - applied, _model.EventsApplied);
    }

    /// <summary>
    /// Stores <paramref name="accepted"/> in the log after the events this activation knows; returns the events to apply
    /// now (in log order) and how many of the call's events were stored by it (the rest are duplicates).
    /// </summary>
    /// <remarks>
    /// A row the log does not take is a duplicate (its messageId is stored) or lost its position to a row this
    /// activation never read: an earlier activation's append that was still running in PostgreSQL when its silo died
    /// (kill -9) can commit after this activation read the log (seq is unique per user, V0012). Then the log tail
    /// after the last applied position is read and applied — those rows' rollup shares were never reported, their
    /// writer died before it could — and the call's rows that are not in the log go again after it.
    /// </remarks>
    private async Task<(List<EventFacts> Fresh, int Applied)> StoreAsync(List<(UserEvent Event, EventFacts Facts)> accepted)
    {
        var fresh = new List<EventFacts>(accepted.Count);
        var applied = 0;
        var toStore = accepted;
        for (var attempt = 0; toStore.Count > 0; attempt++)
        {
            if (attempt == MaxStoreAttempts)
            {
                throw new InvalidOperationException($"the log positions of {UserId} kept moving under {MaxStoreAttempts} appends; retry");
            }
            var rows = new LogRow[toStore.Count];
            for (var i = 0; i < rows.Length; i++)
            {
                var e = toStore[i].Event;
                rows[i] = new LogRow(e.MessageId, _nextSeq++, e.Type, e.Name, e.Timestamp, e.Json);
            }
            bool[] stored;
            try
            {
                stored = await eventLog.AppendAsync(UserId, rows);
            }
            catch
            {
                // The rows may have committed even though we saw an error. Start over from the snapshot and the log, so
                // they are applied by replay and not skipped by a later, higher sequence number.
                this.DeactivateOnIdle();
                throw;
            }

            var refused = new List<(UserEvent Event, EventFacts Facts)>();
            var storedNow = new List<EventFacts>(rows.Length);
            var lastStored = _appliedSeq;
            for (var i = 0; i < stored.Length; i++)
            {
                if (stored[i])
                {
                    storedNow.Add(toStore[i].Facts);
                    lastStored = Math.Max(lastStored, rows[i].Seq);
                }
                else
                {
                    refused.Add(toStore[i]);
                }
            }
            applied += storedNow.Count;
            if (refused.Count == 0)
            {
                fresh.AddRange(storedNow);
                _appliedSeq = lastStored;
                break;
            }

            // Catch up with the log: every row after the last applied position, this call's stored rows among them.
            var tail = new List<EventFacts>();
            await foreach (var row in eventLog.ReadAfterAsync(UserId, _appliedSeq))
            {
                tail.Add(EventFacts.Parse(row.Payload));
                _appliedSeq = Math.Max(_appliedSeq, row.Seq);
            }
            _nextSeq = Math.Max(_nextSeq, _appliedSeq + 1);
            var unknown = tail.Count - storedNow.Count;
            if (unknown > 0)
            {
                logger.LogWarning("{UserId}: {Count} events in the log that this activation had not read (an earlier activation's late append); applied now",
                    UserId, unknown);
                await dimensions.ResolveAsync(DimensionRegistry.ValuesOf(_model, tail));
                await experiments.ResolveAsync(Experiments.ExperimentDefinitions.ExposedIn(tail));
            }
            fresh.AddRange(tail);
            var present = await eventLog.ContainsAsync(UserId, [.. refused.Select(r => r.Event.MessageId)]);
            toStore = [.. refused.Where(r => !present.Contains(r.Event.MessageId))];
        }
        return (fresh, applied);
    }

    /// <summary>
    /// Merges <paramref name="from"/> into this person; returns the events it brought. The root of <paramref name="from"/>
    /// is read from the identity map first, so the grain called is never a merged one (which would forward to us and
    /// wait on this very turn). An identify takes only a key not yet merged (an anonymousId stays with the first person
    /// it was identified as); an alias takes the whole person the key belongs to.
    /// </summary>
    private async Task<int> MergeAsync(string from, string via, string messageId)
    {
        var key = from;
        for (var hop = 0; hop < MaxMergeHops; hop++)
        {
            var root = await identity.PersonOfAsync(key) ?? key;
            if (root == UserId)
            {
                return 0; // already this person's (a retry, or a loop a→b then b→a)
            }
            if (root != key && via == "identify")
            {
                logger.LogInformation("{Key} already belongs to {Person}; the identify by {UserId} leaves it there", key, root, UserId);
                return 0;
            }
            HandOverResult result;
            await using (var claim = await identity.TryClaimPairAsync(root, UserId)
                ?? throw new InvalidOperationException($"a merge of {root} and {UserId} is in progress; retry"))
            {
                crashHook.Reached(MergeStep.EventStored);
                result = await GrainFactory.GetGrain<IUserGrain>(root).HandOverAsync(UserId, _nextSeq, via, messageId);
            }
            if (result.Merged)
            {
                logger.LogInformation("{Key} merged into {UserId} by {Via}: {Moved} events moved", root, UserId, via, result.MovedEvents);
                crashHook.Reached(MergeStep.StateCleared);
                var absorbed = await AbsorbLogTailAsync();
                crashHook.Reached(MergeStep.PersonApplied);
                return absorbed;
            }
            key = result.PersonId; // merged meanwhile: follow it
            if (via == "identify" && key != UserId)
            {
                return 0;
            }
        }
        throw new InvalidOperationException($"the identity chain from {from} is longer than {MaxMergeHops} hops");
    }

    /// <summary>Applies the rows a merge moved into this person's log, reporting this person's share after minus before.</summary>
    /// <summary>
    /// Makes every dimension value (model versions, campaigns) and experiment the rollups map for <paramref name="facts"/>
    /// known to this silo, as ingest does before it captures: the rollups map synchronously, and a value this silo has
    /// not loaded maps to "(other)". Without it a share moved or taken back on another silo than the one that counted it
    /// (after a restart or a move) lands under "(other)" instead of its key. <paramref name="fromEvents"/>: events counted
    /// now for the first time (the overflow metric counts refused values), not shares counted before.
    /// </summary>
    private async Task ResolveForRollupsAsync(UserModel model, IReadOnlyList<EventFacts> facts, bool fromEvents)
    {
        await dimensions.ResolveAsync(DimensionRegistry.ValuesOf(model, facts).Select(v => (v.Dimension, v.Value, v.FromEvent && fromEvents)));
        await experiments.ResolveAsync(Experiments.ExperimentDefinitions.ExposedIn(facts));
    }

    private async Task<int> AbsorbLogTailAsync()
    {
        var facts = new List<EventFacts>();
        var last = _appliedSeq;
        await foreach (var stored in eventLog.ReadAfterAsync(UserId, _appliedSeq))
        {
            facts.Add(EventFacts.Parse(stored.Payload));
            last = Math.Max(last, stored.Seq);
        }
        if (facts.Count == 0)
        {
            return 0;
        }
        var model = Writable();
        await ResolveForRollupsAsync(model, facts, fromEvents: true);
        var captures = rollups.People.Select(r => r.Begin(model, facts)).ToArray();
        foreach (var f in facts)
        {
            model.Apply(f);
        }
        foreach (var capture in captures)
        {
            capture.Complete(model);
        }
        _appliedSeq = last;
        _nextSeq = last + 1;
        return facts.Count;
    }

    public async Task<HandOverResult> HandOverAsync(string personId, long firstSeq, string via, string messageId)
    {
        ArgumentException.ThrowIfNullOrEmpty(personId);
        if (_mergedInto is { } person)
        {
            return new HandOverResult(person, Merged: false, MovedEvents: 0);
        }
        if (personId == UserId)
        {
            return new HandOverResult(UserId, Merged: false, MovedEvents: 0);
        }
        if (_erased)
        {
            return new HandOverResult(personId, Merged: true, MovedEvents: 0); // nothing to hand over, and no link to write
        }

        IdentityMerge merge;
        try
        {
            merge = await identity.MergeAsync(UserId, personId, firstSeq, via, messageId);
        }
        catch
        {
            this.DeactivateOnIdle(); // it may have committed: the next activation reads the link
            throw;
        }
        crashHook.Reached(MergeStep.LinkCommitted);

        // This key's share of every people-counting rollup goes to zero (the person's grain reports its own share after
        // minus before when it applies the moved rows); per-event rollups move nothing.
        if (merge.Payloads.Count > 0 && !ReferenceEquals(_model, s_noEvents))
        {
            var facts = merge.Payloads.Select(EventFacts.Parse).ToArray();
            await ResolveForRollupsAsync(_model, facts, fromEvents: false);
            var captures = rollups.People.Select(r => r.Begin(_model, facts)).ToArray();
            var nothing = new UserModel { UserId = UserId };
            foreach (var capture in captures)
            {
                capture.Complete(nothing);
            }
        }
        _mergedInto = personId;
        _model = s_noEvents;
        _appliedSeq = 0;
        _nextSeq = 1;
        _sinceSnapshot = 0;
        _snapshotTimer?.Dispose();
        _snapshotTimer = null;
        if (state.RecordExists)
        {
            await state.ClearStateAsync();
        }
        return new HandOverResult(personId, Merged: true, merge.MovedEvents);
    }

    public Task<UserView?> GetAsync()
    {
        if (_mergedInto is { } person)
        {
            return GrainFactory.GetGrain<IUserGrain>(person).GetAsync();
        }
        if (_model.EventsApplied == 0)
        {
            return Task.FromResult<UserView?>(null);
        }
        var now = timeProvider.GetUtcNow();
        _model.UpdateTimeline(now);
        return Task.FromResult<UserView?>(UserViews.ToView(_model, churnScorer, now));
    }

    public Task<RiskView?> GetRiskAsync()
    {
        if (_mergedInto is { } person)
        {
            return GrainFactory.GetGrain<IUserGrain>(person).GetRiskAsync();
        }
        if (_model.EventsApplied == 0)
        {
            return Task.FromResult<RiskView?>(null);
        }
        return Task.FromResult<RiskView?>(UserViews.ToRisk(_model, churnScorer, timeProvider.GetUtcNow()));
    }

    public Task RefreshIndexAsync()
    {
        if (_mergedInto is null && _model.EventsApplied > 0)
        {
            PostIndexRow();
        }
        return Task.CompletedTask;
    }

    /// <summary>Scores the user as of now and posts the row to the silo's user-index writer.</summary>
    private void PostIndexRow()
    {
        var now = timeProvider.GetUtcNow();
        var risk = churnScorer.Risk(_model, _model.ChurnFeaturesAt(now));
        index.Post(new UserIndexRow(UserId, _model.SegmentAt(now), risk.Score, risk.Level, risk.Ltv, _model.LifetimeRevenue,
            risk.ModelVersion, _model.LastActiveAt, now));
    }

    private UserModel Writable() => ReferenceEquals(_model, s_noEvents) ? _model = new UserModel { UserId = UserId } : _model;

    /// <summary>Counts events the snapshot does not hold yet; the first one starts the timer that writes it at the latest after the interval.</summary>
    private void SnapshotPending(int events)
    {
        _sinceSnapshot += events;
        if (_snapshotTimer is null)
        {
            var interval = options.Value.SnapshotInterval;
            _snapshotTimer = this.RegisterGrainTimer(SnapshotIfDueAsync, new GrainTimerCreationOptions(interval, interval) { KeepAlive = false });
        }
    }

    private Task SnapshotIfDueAsync(CancellationToken cancellationToken)
        => _sinceSnapshot > 0 ? WriteSnapshotAsync() : Task.CompletedTask;

    private async Task WriteSnapshotAsync()
    {
        state.State.Model = UserSnapshots.Write(_model);
        state.State.AppliedSeq = _appliedSeq;
        var pending = _sinceSnapshot;
        _sinceSnapshot = 0;
        try
        {
            await state.WriteStateAsync();
            if (_sinceSnapshot == 0)
            {
                _snapshotTimer?.Dispose(); // nothing pending: the next event starts it again
                _snapshotTimer = null;
            }
        }
        catch
        {
            _sinceSnapshot += pending; // the log still has everything; try again later
            throw;
        }
        finally
        {
            state.State.Model = null; // written (or to be rewritten from the model): not kept beside the model
        }
    }
}
