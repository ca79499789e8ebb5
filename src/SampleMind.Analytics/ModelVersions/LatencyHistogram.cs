namespace SampleMind.Analytics.ModelVersions;

/// <summary>
/// A mergeable latency histogram over fixed log-scale bucket boundaries: 1 ms × 1.05^i (rounded to 6 decimals) up to
/// the first boundary at or above 10 minutes. Bucket 0 holds values below 1 ms, bucket i (1 ≤ i &lt; n) holds
/// [B[i-1], B[i]), bucket n holds values at or above the last boundary — exactly PostgreSQL's
/// <c>width_bucket(value, thresholds)</c>, so the SQL oracle computes the same buckets from the same boundaries.
/// Comparisons are in decimal (numeric in SQL) so both sides agree exactly.
/// </summary>
public static class LatencyHistogram
{
    public const decimal Ratio = 1.05m;
    public const decimal MaxMs = 600_000m;

    /// <summary>The bucket boundaries in milliseconds, ascending.</summary>
    public static IReadOnlyList<decimal> Boundaries => BoundaryArray;

    private static readonly decimal[] BoundaryArray = CreateBoundaries();

    private static decimal[] CreateBoundaries()
    {
        var boundaries = new List<decimal>();
        for (var i = 0; ; i++)
        {
            var b = Math.Round((decimal)Math.Pow((double)Ratio, i), 6, MidpointRounding.AwayFromZero);
            boundaries.Add(b);
            if (b >= MaxMs)
            {
                return [.. boundaries];
            }
        }
    }

    /// <summary>The buckets: 0 (below 1 ms) … <see cref="BucketCount"/> − 1 (at or above the last boundary).</summary>
    public static int BucketCount => BoundaryArray.Length + 1;

    /// <summary>The bucket of <paramref name="valueMs"/>: the number of boundaries at or below it (<c>width_bucket</c>).</summary>
    public static int BucketOf(decimal valueMs)
    {
        var index = Array.BinarySearch(BoundaryArray, valueMs);
        return index >= 0 ? index + 1 : ~index;
    }

    /// <summary>The upper bound of a bucket; the overflow bucket has none (null).</summary>
    public static decimal? UpperBound(int bucket) => bucket < BoundaryArray.Length ? BoundaryArray[bucket] : null;

    /// <summary>
    /// The nearest-rank percentile (rank = ⌈p × count⌉) read from the histogram: the upper bound of the bucket holding
    /// that rank, capped at the largest value observed (so the overflow bucket and a sparse top bucket report a value
    /// that occurred). Null when the histogram is empty.
    /// </summary>
    public static decimal? Percentile(IReadOnlyDictionary<int, long> buckets, decimal maxObservedMs, int percent)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(percent);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        var count = buckets.Values.Sum();
        if (count <= 0)
        {
            return null;
        }
        var rank = (count * percent + 99) / 100;
        long cumulative = 0;
        foreach (var (bucket, n) in buckets.OrderBy(p => p.Key))
        {
            cumulative += n;
            if (cumulative >= rank)
            {
                return UpperBound(bucket) is { } upper ? Math.Min(upper, maxObservedMs) : maxObservedMs;
            }
        }
        return maxObservedMs;
    }

    /// <summary>Adds <paramref name="from"/> into <paramref name="into"/>, dropping buckets that reach zero.</summary>
    public static void Merge(Dictionary<int, long> into, IReadOnlyDictionary<int, long> from)
    {
        foreach (var (bucket, n) in from)
        {
            var total = into.GetValueOrDefault(bucket) + n;
            if (total == 0)
            {
                into.Remove(bucket);
            }
            else
            {
                into[bucket] = total;
            }
        }
    }
}
