namespace SampleMind.Analytics.Simulation;

/// <summary>What to simulate. The same options (all of them, including <see cref="Now"/>) give the same events.</summary>
public sealed record SimulationOptions
{
    /// <summary>How many users; their indices are <see cref="StartUserIndex"/> … + Users − 1.</summary>
    public int Users { get; init; } = 1000;

    /// <summary>Days of history, ending at <see cref="Now"/>. Signups may lie before the window (see the README in this folder).</summary>
    public int Days { get; init; } = 60;

    public long Seed { get; init; } = 1;

    /// <summary>The end of the simulated window (exclusive). Defaults to today 00:00 UTC so that two runs on the
    /// same day produce the same bytes; must be a whole UTC day.</summary>
    public DateTimeOffset Now { get; init; } = DefaultNow(TimeProvider.System);

    public int StartUserIndex { get; init; }

    public static DateTimeOffset DefaultNow(TimeProvider time) => new(time.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero);

    internal void Validate()
    {
        if (Users < 0 || Days < 0 || StartUserIndex < 0)
        {
            throw new ArgumentException("users, days and the start user index must not be negative");
        }

        if (Now.Offset != TimeSpan.Zero || Now.UtcTicks % TimeSpan.TicksPerDay != 0)
        {
            throw new ArgumentException("now must be a whole UTC day (00:00:00Z)");
        }
    }
}
