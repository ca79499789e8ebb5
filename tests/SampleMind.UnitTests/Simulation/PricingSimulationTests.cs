using System.Text;
using SampleMind.Analytics.Experiments;
using SampleMind.Analytics.Simulation;
using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.Simulation;

/// <summary>
/// The simulator's pricing test (issue 18.5): a known demand curve per persona, written to the ground truth; the
/// experiment's own figures over the simulated events recover the realized counts exactly and the true elasticity
/// inside the reported interval; people outside the test are byte for byte unchanged.
/// </summary>
public sealed class PricingSimulationTests
{
    private static readonly DateTimeOffset s_now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static (string[] Lines, GroundTruth Truth) Run(int users, SimulationPricingTest? pricing)
    {
        var simulator = new PopulationSimulator(new SimulationOptions { Users = users, Days = 60, Seed = 18, Now = s_now, PricingTest = pricing });
        using var stream = new MemoryStream();
        simulator.WriteNdjson(stream);
        return (Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries), simulator.GetGroundTruth());
    }

    [Fact]
    public void PeopleOutsideThePricingTest_AreUnchanged()
    {
        var plain = Run(600, null);
        var priced = Run(600, SimulationPricingTest.Default);
        var inTest = priced.Truth.Pricing!.Arms.Sum(a => a.Exposed);
        Assert.True(inTest >= 20, $"{inTest} people in the test");
        var outside = priced.Lines.Where(l => !l.Contains("\"experiment_id\"", StringComparison.Ordinal)).Select(UserOf).ToHashSet();
        var exposed = priced.Lines.Where(l => l.Contains("\"experiment_id\"", StringComparison.Ordinal)).Select(UserOf).ToHashSet();
        Assert.Equal(inTest, exposed.Count);
        Assert.Equal(plain.Lines.Where(l => !exposed.Contains(UserOf(l))), priced.Lines.Where(l => !exposed.Contains(UserOf(l))));
        Assert.Null(plain.Truth.Pricing);
        Assert.NotEmpty(outside);
    }

    private static string UserOf(string line)
    {
        var at = line.IndexOf("\"userId\":\"", StringComparison.Ordinal) + 10;
        return line[at..line.IndexOf('"', at)];
    }

    [Fact]
    public void TheExperimentsFigures_EqualTheRealizedTruth_AndTheTrueElasticityIsInsideTheInterval()
    {
        var test = SimulationPricingTest.Default;
        var (lines, truth) = Run(12_000, test);
        var exposedUsers = lines.Where(l => l.Contains("\"experiment_id\"", StringComparison.Ordinal)).Select(UserOf).ToHashSet();
        var models = new Dictionary<string, UserModel>();
        foreach (var line in lines.Where(l => exposedUsers.Contains(UserOf(l))))
        {
            var user = UserOf(line);
            if (!models.TryGetValue(user, out var model))
            {
                models[user] = model = new UserModel { UserId = user };
            }
            model.Apply(EventFacts.Parse(line));
        }
        var figures = new ExperimentFigures();
        foreach (var model in models.Values)
        {
            if (ExperimentFigures.ShareOf(model, test.Definition) is { } share)
            {
                figures.Add(share.Variant, share.Share);
            }
        }

        var pricing = truth.Pricing!;
        foreach (var arm in pricing.Arms)
        {
            Assert.Equal(arm.Exposed, figures.Of(arm.Name).Exposed);
            Assert.Equal(arm.Conversions, figures.Of(arm.Name).Conversions);
        }
        for (var i = 1; i < pricing.Arms.Count; i++)
        {
            var (a, b) = (pricing.Arms[i - 1], pricing.Arms[i]);
            var measured = PriceElasticityMath.Arc(a.ProPrice, a.Exposed, a.Conversions, b.ProPrice, b.Exposed, b.Conversions)!.Value;
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"{a.Name} ${a.ProPrice} → {b.Name} ${b.ProPrice}: exposed {a.Exposed}/{b.Exposed}, converted {a.Conversions}/{b.Conversions}; true arc elasticity {pricing.ArcElasticities[i - 1]:0.000}, measured {measured.Elasticity:0.000} [{measured.CiLow:0.000}, {measured.CiHigh:0.000}]");
            Assert.InRange(pricing.ArcElasticities[i - 1], measured.CiLow, measured.CiHigh);
            Assert.True(pricing.ArcElasticities[i - 1] < 0);
        }
        Assert.True(pricing.Lifts[1] < 0 && pricing.Lifts[2] < pricing.Lifts[1]);
    }
}
