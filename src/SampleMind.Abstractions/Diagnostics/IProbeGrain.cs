namespace SampleMind.Diagnostics;

/// <summary>
/// A tiny persistent grain used by operators and process tests to check that grain state is durable
/// and that the cluster answers: write through one silo, read back through another.
/// </summary>
public interface IProbeGrain : IGrainWithStringKey
{
    /// <summary>Stores <paramref name="value"/> in the grain's persistent state (durable when the call returns).</summary>
    Task SetAsync(string value);

    /// <summary>Returns the stored value (null when never set) and the silo hosting this activation.</summary>
    Task<ProbeReading> GetAsync();

    /// <summary>Does nothing: an empty grain call, for measuring the cluster's call rate (<c>samplemind bench</c>).</summary>
    Task PingAsync();
}

/// <summary>The stored probe value and the address of the silo that answered.</summary>
[GenerateSerializer, Immutable, Alias("sm.probe-reading")]
public sealed record class ProbeReading
{
    [Id(0)] public string? Value { get; init; }
    [Id(1)] public required string Silo { get; init; }
    [Id(2)] public DateTimeOffset? WrittenAt { get; init; }
}
