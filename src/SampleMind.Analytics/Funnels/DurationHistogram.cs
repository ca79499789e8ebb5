namespace SampleMind.Analytics.FunnelMetrics;

/// <summary>
/// A mergeable histogram of durations over fixed log-scale buckets: boundaries at round(1000 × 2^(i/4)) ms for
/// i = 0…108 (1 s to about 4.3 years, four buckets per doubling, each ≈ 19 % wide). Bucket 0 holds everything below
/// 1 s (negative durations too: a step recorded before its predecessor); bucket i holds [boundary[i-1], boundary[i]);
/// the last holds everything from the last boundary up. The same boundaries go to SQL's <c>width_bucket</c>, which
/// numbers buckets the same way, so live and SQL histograms are equal.
/// </summary>
public static class DurationHistogram
{
    public static readonly IReadOnlyList<long> BoundariesMs =
        [.. Enumerable.Range(0, 109).Select(i => (long)Math.Round(1000 * Math.Pow(2, i / 4.0), MidpointRounding.AwayFromZero)).Distinct()];

    public static int BucketCount => BoundariesMs.Count + 1;

    /// <summary>The bucket of a duration: how many boundaries are at or below it.</summary>
    public static int BucketOf(TimeSpan duration)
    {
        int lo = 0, hi = BoundariesMs.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (BoundariesMs[mid] * TimeSpan.TicksPerMillisecond <= duration.Ticks)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /// <summary>A bucket's bounds in seconds: [lower, upper); lower is null for bucket 0, upper for the last.</summary>
    public static (double? Lower, double? Upper) Bounds(int bucket)
        => (bucket == 0 ? null : BoundariesMs[bucket - 1] / 1000.0, bucket >= BoundariesMs.Count ? null : BoundariesMs[bucket] / 1000.0);

    /// <summary>
    /// The bucket holding the median: the ⌈n/2⌉-th smallest duration (the lower median); null when empty.
    /// </summary>
    public static int? MedianBucket(IReadOnlyList<long> counts)
    {
        var n = counts.Sum();
        if (n <= 0)
        {
            return null;
        }
        var rank = (n + 1) / 2;
        long seen = 0;
        for (var i = 0; i < counts.Count; i++)
        {
            seen += counts[i];
            if (seen >= rank)
            {
                return i;
            }
        }
        return counts.Count - 1;
    }

    /// <summary>
    /// The reported median in seconds: the upper bound of the median bucket ("half the users took less than this"), or
    /// the lower bound for the open last bucket; null when empty.
    /// </summary>
    public static double? MedianSeconds(IReadOnlyList<long> counts)
        => MedianBucket(counts) is { } bucket ? Bounds(bucket) is var (lower, upper) ? upper ?? lower : null : null;
}
