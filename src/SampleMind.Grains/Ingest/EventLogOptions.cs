using System.ComponentModel.DataAnnotations;

namespace SampleMind.Ingest;

/// <summary>Group commit of the user event log.</summary>
public sealed class EventLogOptions
{
    /// <summary>The most rows one INSERT carries.</summary>
    [Range(1, 100_000)]
    public int MaxBatchRows { get; set; } = 8_000;

    /// <summary>How many group commits may be in flight at once (overlaps one commit's fsync with the next batch).</summary>
    [Range(1, 16)]
    public int MaxConcurrentFlushes { get; set; } = 2;
}
