using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace SampleMind.Identity;

/// <summary>The boundaries between the durable steps of a merge (see README, "How a merge runs"), in order.</summary>
public enum MergeStep
{
    /// <summary>The identify/alias is stored in the person's log; nothing is merged yet.</summary>
    EventStored = 1,

    /// <summary>Inside the merge transaction: the rows are moved and the link written, not committed.</summary>
    LinkUncommitted,

    /// <summary>The transaction committed; the merged grain has not taken back its rollup share nor cleared its snapshot.</summary>
    LinkCommitted,

    /// <summary>The merged grain cleared its snapshot; the person has not applied the moved rows.</summary>
    StateCleared,

    /// <summary>The person applied the moved rows; the ingest call has not answered yet.</summary>
    PersonApplied,
}

/// <summary>
/// <c>Identity:Test</c>: a fault hook for the process tests only. Off by default; a silo refuses to start with it in
/// the Production environment.
/// </summary>
public sealed class MergeCrashOptions
{
    public const string SectionName = "Identity:Test";

    /// <summary>Kill the silo process (SIGKILL, as <c>kill -9</c>) when a merge reaches this step; <c>null</c>: never.</summary>
    public MergeStep? CrashAfterStep { get; set; }
}

/// <summary>
/// Kills its own process at the configured <see cref="MergeStep"/>, so a test can land a <c>kill -9</c> between two
/// durable steps of a merge deterministically. Does nothing unless <c>Identity:Test:CrashAfterStep</c> is set.
/// </summary>
public sealed class MergeCrashHook(IOptions<MergeCrashOptions> options)
{
    /// <summary>The line written to stderr just before the kill (the test reads it to know where the silo died).</summary>
    public const string Marker = "merge crash hook: kill -9 after ";

    /// <summary>Called by the merge at each step boundary.</summary>
    public void Reached(MergeStep step)
    {
        if (options.Value.CrashAfterStep == step)
        {
            Console.Error.WriteLine(Marker + step);
            Console.Error.Flush();
            Process.GetCurrentProcess().Kill(); // SIGKILL on Linux: no finally blocks, no shutdown, no goodbye
        }
    }
}
