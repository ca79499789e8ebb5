using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.FunnelMetrics;

/// <summary>
/// Additive figures of one funnel: users at each step and, per consecutive pair of steps, a histogram of the time
/// between them (<see cref="DurationHistogram"/>). A user is at step k when the model has a time for every step 0…k
/// (an ordered funnel; the times themselves need not be in order). The time between steps k-1 and k is counted for
/// every user at step k.
/// </summary>
public sealed class FunnelFigures(int steps)
{
    public long[] StepUsers { get; } = new long[steps];

    /// <summary>Index k-1 holds the histogram of step k-1 → step k.</summary>
    public long[][] Durations { get; } = [.. Enumerable.Range(0, Math.Max(0, steps - 1)).Select(_ => new long[DurationHistogram.BucketCount])];

    public bool IsZero => StepUsers.All(u => u == 0) && Durations.All(h => h.All(c => c == 0));

    public void Add(FunnelFigures other, int sign = 1)
    {
        for (var k = 0; k < StepUsers.Length; k++)
        {
            StepUsers[k] += sign * other.StepUsers[k];
        }
        for (var k = 0; k < Durations.Length; k++)
        {
            for (var b = 0; b < Durations[k].Length; b++)
            {
                Durations[k][b] += sign * other.Durations[k][b];
            }
        }
    }

    /// <summary>The step names of a funnel, or null for an unknown funnel.</summary>
    public static IReadOnlyList<string>? StepsOf(string funnel) => funnel switch
    {
        Users.Funnels.Activation => Users.Funnels.ActivationSteps,
        Users.Funnels.Monetization => Users.Funnels.MonetizationSteps,
        _ => null,
    };

    public static IReadOnlyList<string> Names { get; } = [Users.Funnels.Activation, Users.Funnels.Monetization];

    /// <summary>One user's share of a funnel.</summary>
    public static FunnelFigures Of(UserModel model, string funnel)
    {
        var position = FunnelPosition.Of(model, funnel);
        var share = new FunnelFigures(position.Steps);
        position.AddTo(share, 1);
        return share;
    }

    /// <summary>A user's share at <paramref name="after"/> minus the share at <paramref name="before"/> (the same funnel).</summary>
    public static FunnelFigures Delta(FunnelPosition before, FunnelPosition after)
    {
        var delta = new FunnelFigures(after.Steps);
        after.AddTo(delta, 1);
        before.AddTo(delta, -1);
        return delta;
    }
}

/// <summary>
/// One user's place in one funnel: the steps reached and the duration bucket between each reached step and the one
/// before it, packed into one value. Equal positions are equal shares, so a rollup compares positions before and after
/// an ingest without building the figures (a user's funnel position changes only when they reach a step).
/// </summary>
public readonly record struct FunnelPosition
{
    private const int BucketBits = 7;
    private const ulong BucketMask = (1UL << BucketBits) - 1;

    private FunnelPosition(int steps, int reached, ulong buckets) => (Steps, Reached, Buckets) = (steps, reached, buckets);

    /// <summary>The funnel's number of steps.</summary>
    public int Steps { get; }

    /// <summary>The user is at steps 0 … Reached - 1.</summary>
    public int Reached { get; }

    /// <summary>Bucket of step k-1 → step k at bits 7(k-1) … 7k-1 for reached steps k ≥ 1 (110 buckets fit in 7 bits), zero elsewhere.</summary>
    private ulong Buckets { get; }

    /// <summary>The duration bucket of step <paramref name="step"/> - 1 → <paramref name="step"/> (a reached step ≥ 1).</summary>
    public int BucketOf(int step) => (int)((Buckets >> (BucketBits * (step - 1))) & BucketMask);

    /// <summary>A user's position in <paramref name="funnel"/> (an ordered funnel: the first step without a time ends it).</summary>
    public static FunnelPosition Of(UserModel model, string funnel)
    {
        var steps = FunnelFigures.StepsOf(funnel) ?? throw new ArgumentException($"unknown funnel {funnel}", nameof(funnel));
        if (steps.Count - 1 > 64 / BucketBits)
        {
            throw new ArgumentException($"funnel {funnel} has more steps than a packed position holds", nameof(funnel));
        }
        var reached = 0;
        ulong buckets = 0;
        DateTimeOffset previous = default;
        for (; reached < steps.Count; reached++)
        {
            if (model.FunnelStepAt(funnel, reached) is not { } at)
            {
                break;
            }
            if (reached > 0)
            {
                buckets |= (ulong)DurationHistogram.BucketOf(at - previous) << (BucketBits * (reached - 1));
            }
            previous = at;
        }
        return new FunnelPosition(steps.Count, reached, buckets);
    }

    /// <summary>Adds this share times <paramref name="sign"/> to <paramref name="figures"/>.</summary>
    public void AddTo(FunnelFigures figures, int sign)
    {
        for (var k = 0; k < Reached; k++)
        {
            figures.StepUsers[k] += sign;
            if (k > 0)
            {
                figures.Durations[k - 1][BucketOf(k)] += sign;
            }
        }
    }
}
