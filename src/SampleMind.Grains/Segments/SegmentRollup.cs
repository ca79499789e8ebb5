using Microsoft.Extensions.Logging;
using SampleMind.Analytics.Segments;
using SampleMind.Analytics.Users;
using SampleMind.Rollups;
using SampleMind.Users;

namespace SampleMind.Segments;

/// <summary>The daily segment distribution: one grain, fed by the per-silo pre-aggregators.</summary>
public sealed class SegmentsGrain(
    [PersistentState("segments", "Default")] IPersistentState<CataloguedRollupState<SegmentTotals>> state)
    : CataloguedRollupGrain<SegmentTotals>(state, IRollupCatalogGrain.Segments), ISegmentsGrain
{
    protected override SegmentTotals Add(SegmentTotals totals, SegmentTotals delta)
    {
        var sum = totals.ToFigures();
        sum.Add(delta.ToFigures());
        return sum.ToWire();
    }

    public Task<SegmentDayRow[]> GetDaysAsync(DateOnly from, DateOnly to) => Task.FromResult(Totals.ToFigures().ToRows(from, to));
}

/// <summary>Between the analytics figures and their wire form.</summary>
public static class SegmentMapping
{
    public static SegmentTotals ToWire(this SegmentFigures f) => new()
    {
        Changes = f.Changes.ToDictionary(d => d.Key, d => new Dictionary<string, int>(d.Value, StringComparer.Ordinal)),
        Transitions = f.Transitions.ToDictionary(d => d.Key, d => new Dictionary<string, int>(d.Value, StringComparer.Ordinal)),
    };

    public static SegmentFigures ToFigures(this SegmentTotals t)
    {
        var f = new SegmentFigures();
        foreach (var (day, changes) in t.Changes)
        {
            foreach (var (segment, by) in changes)
            {
                f.AddChange(day, segment, by);
            }
        }
        foreach (var (day, moves) in t.Transitions)
        {
            foreach (var (key, by) in moves)
            {
                f.AddTransition(day, key, by);
            }
        }
        return f;
    }

    public static SegmentDayRow[] ToRows(this SegmentFigures f, DateOnly from, DateOnly to)
    {
        var rows = new List<SegmentDayRow>(Math.Max(0, to.DayNumber - from.DayNumber + 1));
        var counts = f.CountsOn(from.DayNumber - 1);
        for (var day = from.DayNumber; day <= to.DayNumber; day++)
        {
            if (f.Changes.TryGetValue(day, out var changes))
            {
                foreach (var (segment, by) in changes)
                {
                    counts[segment] = counts.GetValueOrDefault(segment) + by;
                }
            }
            rows.Add(new SegmentDayRow
            {
                Date = DateOnly.FromDayNumber(day),
                Counts = counts.ToDictionary(c => c.Key, c => (int?)c.Value, StringComparer.Ordinal),
                Transitions = [.. f.TransitionsOn(day).Select(m => new SegmentMove(m.From, m.To, m.Users))],
            });
        }
        return [.. rows];
    }
}

/// <summary>Where user grains report their segment-path deltas.</summary>
public interface ISegmentDeltaSink
{
    void Add(SegmentFigures delta);
}

/// <summary>The per-silo segment pre-aggregator, flushed to the segments grain about once a second.</summary>
public sealed class SegmentPreAggregator : ISegmentDeltaSink, IRollupFlushTarget
{
    private readonly PreAggregator<string, SegmentFigures> _segments;

    public SegmentPreAggregator(IGrainFactory grains, ILogger<SegmentPreAggregator> logger)
        => _segments = new("segments", () => new SegmentFigures(), (into, delta) => into.Add(delta), d => d.IsZero,
            (key, delta, source, sequence) => grains.GetGrain<ISegmentsGrain>(key).ApplyAsync(delta.ToWire(), source, sequence),
            logger);

    public void Add(SegmentFigures delta) => _segments.Add(ISegmentsGrain.Key, delta);

    public Task FlushAsync(CancellationToken cancellationToken) => _segments.FlushAsync(cancellationToken);

    public bool IsIdle => _segments.IsIdle;
}

/// <summary>
/// The segment rollup: the user's end-of-day segment path after the events minus before. The path is brought up to
/// date before the capture (events replayed on activation are not reported, as in every rollup).
/// </summary>
public sealed class SegmentUserRollup(ISegmentDeltaSink sink) : IUserRollup
{
    public IUserRollupCapture Begin(UserModel model, IReadOnlyList<EventFacts> events)
    {
        model.UpdateSegmentPath();
        return new Capture(sink, [.. model.SegmentPath]);
    }

    private sealed class Capture(ISegmentDeltaSink sink, SegmentStep[] before) : IUserRollupCapture
    {
        public void Complete(UserModel model)
        {
            model.UpdateSegmentPath();
            var delta = SegmentFigures.Difference(before, model.SegmentPath);
            if (!delta.IsZero)
            {
                sink.Add(delta);
            }
        }
    }
}
