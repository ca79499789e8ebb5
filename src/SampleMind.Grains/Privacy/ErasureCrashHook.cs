using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace SampleMind.Privacy;

/// <summary>
/// <c>Privacy:Test</c>: a fault hook for the process tests only. Off by default; a silo refuses to start with it in
/// the Production environment.
/// </summary>
public sealed class ErasureCrashOptions
{
    public const string SectionName = "Privacy:Test";

    /// <summary>
    /// Kill the silo process (SIGKILL, as <c>kill -9</c>) right after an erasure committed this stage
    /// (<see cref="ErasureStage.Erasing"/>: tombstones written, nothing subtracted; <see cref="ErasureStage.Subtracted"/>:
    /// the aggregates took the negated share, no row deleted yet); <c>null</c>: never.
    /// </summary>
    public ErasureStage? CrashAfterStage { get; set; }
}

/// <summary>
/// Kills its own process once an erasure reached the configured <see cref="ErasureStage"/>, so a test can land a
/// <c>kill -9</c> between two durable stages deterministically. Does nothing unless <c>Privacy:Test:CrashAfterStage</c> is set.
/// </summary>
public sealed class ErasureCrashHook(IOptions<ErasureCrashOptions> options)
{
    /// <summary>The line written to stderr just before the kill (the test reads it to know where the silo died).</summary>
    public const string Marker = "erasure crash hook: kill -9 after ";

    /// <summary>Called by the erasure after each durable stage.</summary>
    public void Reached(ErasureStage stage)
    {
        if (options.Value.CrashAfterStage == stage)
        {
            Console.Error.WriteLine(Marker + stage);
            Console.Error.Flush();
            Process.GetCurrentProcess().Kill(); // SIGKILL on Linux: no finally blocks, no shutdown
        }
    }
}
