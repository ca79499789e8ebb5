using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SampleMind.Analytics.Users;
using SampleMind.Churn;
using SampleMind.Ingest;

namespace SampleMind.Users;

/// <summary>
/// One user's live 360° state. Ingest = dedupe + append to the event log (group commit) + apply + derive, in one call;
/// the snapshot is written behind and the log tail is replayed on activation.
/// </summary>
public sealed class UserGrain(
    [PersistentState("user", "Default")] IPersistentState<UserState> state,
    IUserEventLog eventLog,
    IEnumerable<IUserRollup> rollups,
    IChurnScorer churnScorer,
    IUserIndexSink index,
    TimeProvider timeProvider,
    IOptions<UserGrainOptions> options,
    ILogger<UserGrain> logger) : Grain, IUserGrain
{
    private readonly IUserRollup[] _rollups = [.. rollups];
    private UserModel _model = new();
    private long _nextSeq = 1;
    private long _appliedSeq;
    private int _sinceSnapshot;

    private string UserId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _model = state.State.Model is { Length: > 0 } bytes
            ? JsonSerializer.Deserialize(bytes, UserModelJsonContext.Default.UserModel) ?? new UserModel()
            : new UserModel();
        state.State.Model = null; // the bytes are only read here: do not keep a second copy of the user in memory
        _model.UserId = UserId;
        _appliedSeq = state.State.AppliedSeq;
        _nextSeq = _appliedSeq + 1;

        // Replayed events are not reported to the KPI pre-aggregator: after a graceful stop there are none, and after a
        // crash most were reported before it; `samplemind reconcile --fix` recomputes the affected days from the log.
        var replayed = 0;
        await foreach (var stored in eventLog.ReadAfterAsync(UserId, _appliedSeq, cancellationToken))
        {
            _model.Apply(EventFacts.Parse(stored.Payload));
            _appliedSeq = Math.Max(_appliedSeq, stored.Seq);
            replayed++;
        }
        _nextSeq = _appliedSeq + 1;
        _sinceSnapshot = replayed;
        if (replayed > 0)
        {
            logger.LogInformation("{UserId} replayed {Count} events from the log after its snapshot", UserId, replayed);
            PostIndexRow(); // the index may not have seen these events (a crash before its flush, or an imported log)
        }

        var interval = options.Value.SnapshotInterval;
        this.RegisterGrainTimer(SnapshotIfDueAsync, new GrainTimerCreationOptions(interval, interval) { KeepAlive = false });
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_sinceSnapshot > 0)
        {
            await WriteSnapshotAsync();
        }
    }

    public async Task<IngestResult> IngestAsync(UserEvent[] events)
    {
        ArgumentNullException.ThrowIfNull(events);

        // Parse before anything is stored: an event the model cannot read must never reach the log.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var accepted = new List<(UserEvent Event, EventFacts Facts)>(events.Length);
        foreach (var e in events)
        {
            if (seen.Add(e.MessageId))
            {
                accepted.Add((e, EventFacts.Parse(e.Json)));
            }
        }

        var rows = new LogRow[accepted.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            var e = accepted[i].Event;
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

        var fresh = new List<EventFacts>(stored.Length);
        for (var i = 0; i < stored.Length; i++)
        {
            if (stored[i])
            {
                fresh.Add(accepted[i].Facts);
                _appliedSeq = Math.Max(_appliedSeq, rows[i].Seq);
            }
        }
        var applied = fresh.Count;
        if (applied > 0)
        {
            // Each rollup reports this user's share after the events minus before (replay reports none: see OnActivateAsync).
            var captures = _rollups.Select(r => r.Begin(_model, fresh)).ToArray();
            foreach (var facts in fresh)
            {
                _model.Apply(facts);
            }
            foreach (var capture in captures)
            {
                capture.Complete(_model);
            }
        }

        if (applied > 0)
        {
            PostIndexRow(); // the segment and risk as of now, once per ingest (segment moves roll up through SegmentUserRollup)
            _sinceSnapshot += applied;
            if (_sinceSnapshot >= options.Value.SnapshotEveryEvents)
            {
                await WriteSnapshotAsync();
            }
        }

        return new IngestResult(events.Length, applied, events.Length - applied, _model.EventsApplied);
    }

    public Task<UserView?> GetAsync()
    {
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
        if (_model.EventsApplied == 0)
        {
            return Task.FromResult<RiskView?>(null);
        }
        return Task.FromResult<RiskView?>(UserViews.ToRisk(_model, churnScorer, timeProvider.GetUtcNow()));
    }

    public Task RefreshIndexAsync()
    {
        if (_model.EventsApplied > 0)
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

    private Task SnapshotIfDueAsync(CancellationToken cancellationToken)
        => _sinceSnapshot > 0 ? WriteSnapshotAsync() : Task.CompletedTask;

    private async Task WriteSnapshotAsync()
    {
        state.State.Model = JsonSerializer.SerializeToUtf8Bytes(_model, UserModelJsonContext.Default.UserModel);
        state.State.AppliedSeq = _appliedSeq;
        var pending = _sinceSnapshot;
        _sinceSnapshot = 0;
        try
        {
            await state.WriteStateAsync();
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
