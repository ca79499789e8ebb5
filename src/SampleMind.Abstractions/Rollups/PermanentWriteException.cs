namespace SampleMind.Rollups;

/// <summary>
/// A grain's state write that PostgreSQL refuses for good (e.g. a key too large for the grain storage index): the same
/// write fails again on every retry. Thrown by aggregate grains so that their callers can stop retrying.
/// </summary>
[GenerateSerializer, Alias("sm.permanent-write-exception")]
public sealed class PermanentWriteException : Exception
{
    public PermanentWriteException()
    {
    }

    public PermanentWriteException(string message)
        : base(message)
    {
    }

    public PermanentWriteException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The PostgreSQL SQLSTATE of the refusal.</summary>
    [Id(0)] public string SqlState { get; init; } = "";
}
