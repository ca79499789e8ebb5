using SampleMind.Database;

namespace SampleMind.Rollups;

/// <summary>
/// What an aggregate grain has applied from each pre-aggregator: the last (source, sequence). A flush that is retried
/// after a failure carries the same sequence, so it counts once.
/// </summary>
[GenerateSerializer, Alias("sm.flush-ledger")]
public sealed class FlushLedger
{
    [Id(0)] public Dictionary<string, long> Last { get; set; } = [];

    /// <summary>True (and recorded) when this flush is new; false when it was applied already.</summary>
    public bool Accept(string source, long sequence)
    {
        if (Last.TryGetValue(source, out var last) && sequence <= last)
        {
            return false;
        }
        Last[source] = sequence;
        return true;
    }
}

public static class RollupGrainExtensions
{
    /// <summary>
    /// Writes an aggregate grain's state. When the write fails the activation is dropped, so the pre-aggregator's retry
    /// (same sequence) meets the stored state rather than this activation's already-changed memory.
    /// </summary>
    public static async Task WriteOrDeactivateAsync<T>(this IGrainBase grain, IPersistentState<T> state)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception exception) when (PostgresErrors.Classify(exception) == WriteFailure.Permanent)
        {
            grain.DeactivateOnIdle();
            var (sqlState, reason) = PostgresErrors.Describe(exception);
            throw new PermanentWriteException($"the grain storage refuses this state for good ({sqlState}: {reason})") { SqlState = sqlState };
        }
        catch
        {
            grain.DeactivateOnIdle();
            throw;
        }
    }
}
