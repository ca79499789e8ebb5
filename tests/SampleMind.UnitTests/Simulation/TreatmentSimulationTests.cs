using System.Text;
using SampleMind.Analytics.Simulation;

namespace SampleMind.UnitTests.Simulation;

/// <summary>The simulator's ground truth for uplift: a treatment changes only treated users, only from its day on.</summary>
public sealed class TreatmentSimulationTests
{
    private static readonly DateTimeOffset s_now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_at = s_now.AddDays(-40);

    private static (string[] Lines, GroundTruth Truth) Run(SimulationTreatment? treatment)
    {
        var simulator = new PopulationSimulator(new SimulationOptions { Users = 400, Days = 60, Seed = 5, Now = s_now, Treatment = treatment });
        using var stream = new MemoryStream();
        simulator.WriteNdjson(stream);
        return (Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries), simulator.GetGroundTruth());
    }

    private static HashSet<string> EvenUsers() => [.. Enumerable.Range(0, 200).Select(i => PopulationSimulator.UserIdOf(5, 2 * i))];

    [Fact]
    public void ActionWithoutEffect_GivesTheSameEvents()
    {
        var plain = Run(null);
        var treated = Run(new SimulationTreatment(EvenUsers(), s_at, 0.0));

        Assert.Equal(plain.Lines, treated.Lines);
        Assert.Equal(200, treated.Truth.Users.Count(u => u.Treated));
        Assert.DoesNotContain(treated.Truth.Users, u => u.SavedByTreatment);
    }

    [Fact]
    public void ActionThatWorks_SavesTreatedUsersWhoseChurnWasPlannedInTheHorizon_AndChangesNobodyElse()
    {
        var plain = Run(null);
        var treated = Run(new SimulationTreatment(EvenUsers(), s_at, 1.0, HorizonDays: 30));

        var saved = treated.Truth.Users.Where(u => u.SavedByTreatment).Select(u => u.UserId).ToHashSet();
        // Everyone treated who would have churned in [day 20, day 50] is saved; no one else.
        var expected = plain.Truth.Users
            .Where(u => EvenUsers().Contains(u.UserId) && u.ChurnedAt is { } c && c >= s_at && c < s_at.AddDays(31) && u.ChurnReason is not ("payment_failed" or "never_verified" or "activation_dropout"))
            .Select(u => u.UserId).ToHashSet();
        Assert.True(expected.Count >= 10, $"the population has treated users about to churn ({expected.Count})");
        Assert.Subset(saved, expected);
        // A saved user had churned on or after the action's day without it (a payment-failure churn may still come).
        Assert.All(saved, id => Assert.True(EvenUsers().Contains(id) && plain.Truth.Users.Single(u => u.UserId == id).ChurnedAt >= s_at, id));
        Assert.All(expected, id => Assert.False(treated.Truth.Users.Single(u => u.UserId == id).Churned, id));

        // Untreated users and every event before the action's day are unchanged.
        static IEnumerable<string> Before(string[] lines) => lines.Where(l => string.CompareOrdinal(Timestamp(l), s_at.ToString("yyyy-MM-dd")) < 0);
        Assert.Equal(Before(plain.Lines), Before(treated.Lines));
        var odd = (string[] lines) => lines.Where(l => !EvenUsers().Any(u => l.Contains($"\"userId\":\"{u}\"", StringComparison.Ordinal)));
        Assert.Equal(odd(plain.Lines), odd(treated.Lines));
    }

    private static string Timestamp(string line)
    {
        var at = line.IndexOf("\"timestamp\":\"", StringComparison.Ordinal) + 13;
        return line[at..(at + 10)];
    }
}
