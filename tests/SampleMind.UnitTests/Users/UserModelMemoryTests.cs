using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.Users;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurementCollection
{
    public const string Name = "memory measurement";
}

/// <summary>
/// The repeatable unit-level measurement behind issue #9's memory goal: the managed heap a population of simulated users'
/// models holds (60 days of history, the segment path and timeline up to date, as a live user grain keeps them). Runs
/// alone (no other test allocates meanwhile); the figure is written to the test output.
/// </summary>
[Collection(MemoryMeasurementCollection.Name)]
public sealed class UserModelMemoryTests
{
    private static readonly DateTimeOffset s_now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The compact model measured about 3.1 KB a user (the dictionary-of-classes model before it: 10.8 KB).</summary>
    private const long BoundBytesPerUser = 3_584;

    [Fact]
    public void SimulatedUsers_WithSixtyDaysOfHistory_HoldLessThanTheBound_PerUser()
    {
        _ = Build(); // the process-wide vocabulary pool fills once, whatever the population: not a per-user cost
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var models = Build();
        var retained = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        var events = models.Sum(m => m.EventsApplied);
        GC.KeepAlive(models);

        var perUser = retained / models.Length;
        TestContext.Current.TestOutputHelper?.WriteLine($"{models.Length} users, {events / (double)models.Length:N0} events each: {perUser:N0} bytes per user model");
        Assert.True(perUser <= BoundBytesPerUser, $"{perUser:N0} bytes per user model (bound {BoundBytesPerUser:N0})");
        Assert.True(events > models.Length * 100, "the population is too thin to measure");
    }

    private static UserModel[] Build()
    {
        var models = UserSnapshotTests.SimulatedPopulation(1500, 60, seed: 21, s_now).Values.ToArray();
        foreach (var model in models)
        {
            model.UpdateSegmentPath();
            model.UpdateTimeline(s_now);
        }
        return models;
    }
}
