namespace SampleMind.Segments;

/// <summary>Additive daily segment figures (a pre-aggregated delta or the segments grain's totals).</summary>
[GenerateSerializer, Immutable, Alias("sm.segment-totals")]
public sealed record class SegmentTotals
{
    /// <summary>Day number → segment → change in the number of users in it that day.</summary>
    [Id(0)] public Dictionary<int, Dictionary<string, int>> Changes { get; init; } = [];
    /// <summary>Day number → "from>to" → users who moved that day.</summary>
    [Id(1)] public Dictionary<int, Dictionary<string, int>> Transitions { get; init; } = [];
}

/// <summary>Users who moved from one segment to another on a day.</summary>
[GenerateSerializer, Immutable, Alias("sm.segment-move")]
public sealed record class SegmentMove(
    [property: Id(0)] string From,
    [property: Id(1)] string To,
    [property: Id(2)] int? Users);

/// <summary>One UTC day of the segment distribution, as GET /api/segments shows it.</summary>
[GenerateSerializer, Immutable, Alias("sm.segment-day-row")]
public sealed record class SegmentDayRow
{
    [Id(0)] public required DateOnly Date { get; init; }
    /// <summary>Users in each segment at the end of the day (every segment named; null: suppressed).</summary>
    [Id(1)] public required Dictionary<string, int?> Counts { get; init; }
    /// <summary>Users whose end-of-day segment differs from the day before.</summary>
    [Id(2)] public required SegmentMove[] Transitions { get; init; }
    /// <summary>Some of the day's figures are withheld (README "Small groups").</summary>
    [Id(3)] public bool Suppressed { get; init; }
}

/// <summary>
/// The daily segment distribution and transitions of all users (one grain, key "all"), fed about once a second by each
/// silo's pre-aggregator with the changes of users' end-of-day segment paths.
/// </summary>
public interface ISegmentsGrain : IGrainWithStringKey
{
    public const string Key = "all";

    /// <summary>Adds a pre-aggregated delta. <paramref name="sequence"/> increases per source; a repeated one is ignored.</summary>
    Task ApplyAsync(SegmentTotals delta, string source, long sequence);

    /// <summary>The days from <paramref name="from"/> to <paramref name="to"/>, inclusive.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<SegmentDayRow[]> GetDaysAsync(DateOnly from, DateOnly to);

    [Orleans.Concurrency.AlwaysInterleave]
    Task<SegmentTotals> GetTotalsAsync();

    /// <summary>Replaces the figures (reconcile --fix, from the event log).</summary>
    Task ResetAsync(SegmentTotals totals);
}
