using SampleMind.Rollups;
using SampleMind.Analytics.FunnelMetrics;

namespace SampleMind.FunnelMetrics;

[GenerateSerializer, Alias("sm.funnel-state")]
public sealed class FunnelState
{
    [Id(0)] public FunnelTotals? Totals { get; set; }

    /// <summary>The last sequence applied per source, so retried flushes count once.</summary>
    [Id(1)] public FlushLedger Applied { get; set; } = new();
}

/// <summary>One funnel (activation, monetization): users per step and histograms of the time between steps.</summary>
public sealed class FunnelGrain(
    [PersistentState("funnel", "Default")] IPersistentState<FunnelState> state) : Grain, IFunnelGrain
{
    private string Name => this.GetPrimaryKeyString();

    private IReadOnlyList<string> Steps => FunnelFigures.StepsOf(Name) ?? throw new InvalidOperationException($"unknown funnel {Name}");

    public async Task ApplyAsync(FunnelTotals delta, string source, long sequence)
    {
        if (!state.State.Applied.Accept(source, sequence))
        {
            return;
        }
        var totals = Figures();
        totals.Add(delta.ToFigures(Steps.Count));
        state.State.Totals = totals.ToWire();
        await this.WriteOrDeactivateAsync(state);
    }

    public Task<FunnelView> GetAsync() => Task.FromResult(Figures().ToView(Name, Steps));

    public Task<FunnelTotals> GetTotalsAsync() => Task.FromResult(Figures().ToWire());

    public async Task ResetAsync(FunnelTotals totals)
    {
        state.State.Totals = totals.ToFigures(Steps.Count).ToWire();
        await this.WriteOrDeactivateAsync(state);
    }

    private FunnelFigures Figures() => state.State.Totals?.ToFigures(Steps.Count) ?? new FunnelFigures(Steps.Count);
}

/// <summary>Between the analytics figures and their wire form.</summary>
public static class FunnelMapping
{
    public static FunnelTotals ToWire(this FunnelFigures f)
        => new() { StepUsers = [.. f.StepUsers], Durations = [.. f.Durations.Select(h => h.ToArray())] };

    public static FunnelFigures ToFigures(this FunnelTotals t, int steps)
    {
        var f = new FunnelFigures(steps);
        t.StepUsers.AsSpan(0, Math.Min(steps, t.StepUsers.Length)).CopyTo(f.StepUsers);
        for (var k = 0; k < Math.Min(f.Durations.Length, t.Durations.Length); k++)
        {
            t.Durations[k].AsSpan(0, Math.Min(t.Durations[k].Length, f.Durations[k].Length)).CopyTo(f.Durations[k]);
        }
        return f;
    }

    public static FunnelView ToView(this FunnelFigures f, string name, IReadOnlyList<string> steps)
        => new()
        {
            Name = name,
            Steps = [.. steps.Select((step, k) =>
            {
                if (k == 0)
                {
                    return new FunnelStepRow { Step = step, Users = f.StepUsers[0] };
                }
                var histogram = f.Durations[k - 1];
                var (lower, upper) = DurationHistogram.MedianBucket(histogram) is { } bucket ? DurationHistogram.Bounds(bucket) : (null, null);
                return new FunnelStepRow
                {
                    Step = step,
                    Users = f.StepUsers[k],
                    Conversion = f.StepUsers[k - 1] > 0 ? Math.Round((decimal)f.StepUsers[k] / f.StepUsers[k - 1], 6, MidpointRounding.AwayFromZero) : null,
                    MedianSecondsFromPrevious = DurationHistogram.MedianSeconds(histogram),
                    MedianBucketLowerSeconds = lower,
                    MedianBucketUpperSeconds = upper,
                };
            })],
        };
}
