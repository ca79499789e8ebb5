using SampleMind.Analytics.Experiments;

namespace SampleMind.Analytics.Simulation;

/// <summary>One price arm of the simulated pricing test: its name and its factor on every list price.</summary>
public sealed record PricingArm(string Name, decimal Factor);

/// <summary>
/// A pricing test in the simulated population (<c>simulate --pricing-test</c>): every person who starts a trial inside
/// the window is exposed at that moment (an <c>experiment_viewed</c> event) to the arm that
/// <see cref="ExperimentDefinition.Assign"/> gives them, pays the arm's price (list price × factor), and a trial that
/// would convert at list price still converts with probability factor^ε of their persona (a stream of its own). The
/// metric is <c>subscription_started</c> within <see cref="WithinDays"/> days. Without it the population is byte for byte
/// the same as before.
/// </summary>
public sealed record SimulationPricingTest(string Key, IReadOnlyList<PricingArm> Arms, int WithinDays = 30)
{
    public static readonly SimulationPricingTest Default = new("sim-pricing",
        [new PricingArm("control", 1.00m), new PricingArm("plus15", 1.15m), new PricingArm("plus30", 1.30m)]);

    /// <summary>The constant price elasticity of trial conversion per persona (only personas that start trials matter).</summary>
    public static double ElasticityOf(Persona persona) => persona switch
    {
        Persona.Explorer => -2.0,
        Persona.LapsedFree => -3.0,
        Persona.OldFree => -1.5,
        _ => -2.0,
    };

    /// <summary>The experiment to create before the events are sent: the arms priced on the pro plan's list price.</summary>
    public ExperimentDefinition Definition => new(Key,
        [.. Arms.Select(a => new VariantDefinition(a.Name, 1, Price(SimulationCatalog.Pro, a.Factor)))],
        new ExperimentMetric("subscription_started", WithinDays), null);

    /// <summary>A plan's price in an arm (list price × factor, to the cent; the list price itself at factor 1).</summary>
    public static decimal Price(string plan, decimal factor)
        => factor == 1m ? SimulationCatalog.PriceOf(plan) : Math.Round(SimulationCatalog.PriceOf(plan) * factor, 2, MidpointRounding.AwayFromZero);
}

/// <summary>
/// One arm of the pricing test's ground truth: who was exposed, the conversions realized, and the population's true
/// conversion rate at the arm's price — the mean over everyone exposed (all arms) of chance × factor^ε, so it does
/// not depend on who happened to land in which arm.
/// </summary>
public sealed record PricingArmTruth(string Name, decimal ProPrice, int Exposed, int Conversions, double TrueRate);

/// <summary>The true arc elasticities between neighbouring arms and each arm's true lift over the control.</summary>
public sealed record PricingTruth(string Key, int WithinDays, IReadOnlyList<PricingArmTruth> Arms, IReadOnlyList<double> ArcElasticities, IReadOnlyList<double> Lifts)
{
    internal static PricingTruth? From(SimulationPricingTest? test, IReadOnlyList<SimUser> users)
    {
        if (test is null)
        {
            return null;
        }
        var everyone = users.Where(u => u.ExposedToPricing).ToList();
        var arms = test.Arms.Select(a =>
        {
            var exposed = everyone.Where(u => u.PricingArm == a.Name).ToList();
            var trueRate = everyone.Count == 0 ? 0
                : everyone.Average(u => u.TrialConversionChance * Math.Pow((double)a.Factor, SimulationPricingTest.ElasticityOf(u.Persona)));
            return new PricingArmTruth(a.Name, SimulationPricingTest.Price(SimulationCatalog.Pro, a.Factor), exposed.Count, exposed.Count(u => u.TrialConverts), trueRate);
        }).ToList();
        var arcs = new List<double>();
        for (var i = 1; i < arms.Count; i++)
        {
            double r1 = arms[i - 1].TrueRate, r2 = arms[i].TrueRate, p1 = (double)arms[i - 1].ProPrice, p2 = (double)arms[i].ProPrice;
            arcs.Add(r1 + r2 == 0 ? 0 : (r2 - r1) / ((r1 + r2) / 2) / ((p2 - p1) / ((p1 + p2) / 2)));
        }
        return new PricingTruth(test.Key, test.WithinDays, arms, arcs, [.. arms.Select(a => a.TrueRate - arms[0].TrueRate)]);
    }
}
