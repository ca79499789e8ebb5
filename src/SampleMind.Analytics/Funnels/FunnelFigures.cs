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
        var steps = StepsOf(funnel) ?? throw new ArgumentException($"unknown funnel {funnel}", nameof(funnel));
        var share = new FunnelFigures(steps.Count);
        DateTimeOffset previous = default;
        for (var k = 0; k < steps.Count; k++)
        {
            if (model.FunnelStepAt(funnel, k) is not { } at)
            {
                break;
            }
            share.StepUsers[k] = 1;
            if (k > 0)
            {
                share.Durations[k - 1][DurationHistogram.BucketOf(at - previous)] = 1;
            }
            previous = at;
        }
        return share;
    }

    /// <summary>A user's shares of every funnel.</summary>
    public static Dictionary<string, FunnelFigures> SharesOf(UserModel model)
        => Names.ToDictionary(n => n, n => Of(model, n), StringComparer.Ordinal);

    /// <summary>After minus before, per funnel; funnels without change are left out.</summary>
    public static IReadOnlyList<(string Funnel, FunnelFigures Delta)> Difference(Dictionary<string, FunnelFigures> before, Dictionary<string, FunnelFigures> after)
    {
        var result = new List<(string, FunnelFigures)>();
        foreach (var (name, share) in after)
        {
            var delta = new FunnelFigures(share.StepUsers.Length);
            delta.Add(share);
            delta.Add(before[name], -1);
            if (!delta.IsZero)
            {
                result.Add((name, delta));
            }
        }
        return result;
    }
}
