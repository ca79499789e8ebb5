using SampleMind.Analytics.Churn;
using SampleMind.Analytics.Simulation;

namespace SampleMind.UnitTests.Churn;

/// <summary>
/// Issue 19.1–19.2: the evaluation metrics against hand-computed values, the realistic churn model's true probability
/// against closed forms and against the simulator's own outcomes, and the out-of-time split's dates.
/// </summary>
public sealed class ChurnEvaluationTests
{
    [Fact]
    public void Metrics_OnASmallVector_AreTheHandComputedValues()
    {
        // Sorted: 0.1 (no), 0.35 (yes), 0.4 (no), 0.8 (yes). Pairs (positive above negative): 0.35>0.1, 0.8>0.1, 0.8>0.4 → 3/4.
        var m = BinaryMetrics.Compute([0.1, 0.4, 0.35, 0.8], [false, false, true, true]);

        Assert.Equal(0.75, m.Auc);
        // Average precision: descending 0.8 (yes: precision 1/1), 0.4 (no), 0.35 (yes: 2/3) → (1 + 2/3) / 2.
        Assert.Equal(Math.Round((1 + 2 / 3.0) / 2, 4), m.PrAuc);
        // Brier: (0.01 + 0.16 + 0.4225 + 0.04) / 4 = 0.158125.
        Assert.Equal(Math.Round(0.158125, 4), m.Brier);
        // Log loss: −(ln 0.9 + ln 0.6 + ln 0.35 + ln 0.8) / 4.
        Assert.Equal(Math.Round(-(Math.Log(0.9) + Math.Log(0.6) + Math.Log(0.35) + Math.Log(0.8)) / 4, 4), m.LogLoss);
        // Four examples → four bins of one: |0.1 − 0| + |0.35 − 1| + |0.4 − 0| + |0.8 − 1| = 1.35, each weighted 1/4.
        Assert.Equal(0.3375, m.Ece);
        // Top decile: ⌈4 / 10⌉ = 1 example (0.8, a churner) of 2 churners → capture 0.5, lift 0.5 / (1/4) = 2.
        Assert.Equal(0.5, m.TopDecileCapture);
        Assert.Equal(2.0, m.TopDecileLift);
    }

    [Fact]
    public void Ece_WeighsTheTenEqualCountBins()
    {
        // 20 examples → 10 bins of 2. Bin k holds probabilities 0.05k + {0.01, 0.03}; one churner per bin for k ≥ 5, none below:
        // bins 0…4: mean 0.05k + 0.02, observed 0; bins 5…9: mean 0.05k + 0.02, observed 0.5.
        var p = new List<double>();
        var y = new List<bool>();
        for (var k = 0; k < 10; k++)
        {
            p.AddRange([0.05 * k + 0.01, 0.05 * k + 0.03]);
            y.AddRange([false, k >= 5]);
        }
        var expected = Enumerable.Range(0, 10).Sum(k => 0.1 * Math.Abs(0.05 * k + 0.02 - (k >= 5 ? 0.5 : 0)));

        var m = BinaryMetrics.Compute(p, y);

        Assert.Equal(Math.Round(expected, 4), m.Ece);
        Assert.Equal(Enumerable.Repeat(2, 10), m.Calibration.Select(b => b.Count));
        // Top decile = the two highest (0.46 no, 0.48 yes): 1 of the 5 churners; lift 0.2 / 0.1 = 2.
        Assert.Equal(0.2, m.TopDecileCapture);
        Assert.Equal(2.0, m.TopDecileLift);
    }

    private static readonly ChurnHazardParameters s_still = new(0, 0, 0, 0, 0, 0.02, 0.02, 0.02);

    [Fact]
    public void PaidCancelProbability_MatchesClosedForms()
    {
        // No latent moves, hazard h, no charge in the window: 1 − (1 − h)³⁰.
        Assert.Equal(1 - Math.Pow(0.98, 30), ChurnHazard.PaidCancelProbability(s_still, LatentState.Engaged, 0, 500, 500, 0.2, 100), 12);

        // No hazard, a charge on day 105 failing with 0.2: retries on 108 and 111 fail with ½ each → 0.2 · ½ · ½.
        var noHazard = s_still with { HazardEngaged = 0, HazardQuiet = 0, HazardDisengaging = 0 };
        Assert.Equal(0.2 * 0.25, ChurnHazard.PaidCancelProbability(noHazard, LatentState.Engaged, 0, 105, 105, 0.2, 100), 12);
        // Two failures already, the retry due tomorrow: ½. A retry on day 129 past the horizon's last day 130 lands inside.
        Assert.Equal(0.5, ChurnHazard.PaidCancelProbability(noHazard, LatentState.Engaged, 2, 101, 95, 0.2, 100), 12);
        Assert.Equal(0, ChurnHazard.PaidCancelProbability(noHazard, LatentState.Engaged, 0, 131, 131, 0.2, 100), 12);
    }

    [Fact]
    public void SilentProbability_MatchesTheClosedForm_AndACertainEventEndsIt()
    {
        // Each day: active with a, else the hazard h; silent = Σₖ q^{k−1}(1−a)h + q³⁰, q = (1 − a)(1 − h).
        const double a = 0.3, h = 0.02;
        var q = (1 - a) * (1 - h);
        var expected = Enumerable.Range(1, 30).Sum(k => Math.Pow(q, k - 1) * (1 - a) * h) + Math.Pow(q, 30);
        Assert.Equal(expected, ChurnHazard.SilentProbability(s_still, LatentState.Engaged, (_, _) => a, [], 100), 12);
        // A planned trial start on day 110: only who left in days 101…109 stays silent.
        var left = Enumerable.Range(1, 9).Sum(k => Math.Pow(q, k - 1) * (1 - a) * h);
        Assert.Equal(left, ChurnHazard.SilentProbability(s_still, LatentState.Engaged, (_, _) => a, [110], 100), 12);
    }

    [Fact]
    public void TrueProbabilities_AgreeWithTheSimulatedOutcomes_WithinFourStandardErrors()
    {
        // The simulator itself is the Monte Carlo of the process: over the examples train-churn would build (active in the 30
        // days up to a cut-off, not yet gone), the number that churn is a sum of independent Bernoulli(p) per person and
        // cut-off date; within one cut-off date people are independent, so |Σ y − Σ p| ≤ 4 √Σ p(1 − p) per date (a false
        // failure has probability below 1e-4 per date).
        var simulator = new PopulationSimulator(new SimulationOptions { Users = 2000, Days = 75, Seed = 19, Now = SimulatedLog.Now, Churn = SimulationChurn.Realistic });
        var log = SimulatedLog.Generate(simulator);
        var truth = simulator.GetGroundTruth();
        var windowStart = DateOnly.FromDateTime(truth.WindowStart.UtcDateTime);
        var plan = ChurnTrainingSet.Plan(windowStart, windowStart.AddDays(74));
        Assert.Equal(truth.Churn!.Cutoffs.Where(c => c.DayNumber >= plan.FirstDay + ChurnTrainingSet.MinHistoryDays).Select(c => c.DayNumber), plan.Cutoffs);
        var p = truth.Users.SelectMany(u => truth.Churn.Cutoffs.Select((c, i) => (u.UserId, c.DayNumber, P: u.ChurnProbability30d![i])))
            .Where(x => x.P is not null).ToDictionary(x => (x.UserId, x.DayNumber), x => x.P!.Value);
        var examples = log.SelectMany(kv => ChurnTrainingSet.ForUser(kv.Key, kv.Value, plan)).ToList();
        var report = new List<string>();
        foreach (var date in examples.GroupBy(e => e.CutoffDay))
        {
            var open = date.Where(e => p[(e.UserId, e.CutoffDay)] < 1).ToList();
            var expected = open.Sum(e => p[(e.UserId, e.CutoffDay)]);
            var sd = Math.Sqrt(open.Sum(e => p[(e.UserId, e.CutoffDay)] * (1 - p[(e.UserId, e.CutoffDay)])));
            var observed = open.Count(e => e.Churned);
            report.Add($"{DateOnly.FromDayNumber(date.Key)}: {open.Count} examples, churned {observed}, Σp {expected:F1} ± {sd:F1}");
            Assert.True(open.Count > 500, string.Join("\n", report));
            Assert.True(Math.Abs(observed - expected) <= 4 * sd, string.Join("\n", report));
            // Those already gone (p = 1) all get the label.
            Assert.All(date.Where(e => p[(e.UserId, e.CutoffDay)] == 1), e => Assert.True(e.Churned, e.UserId));
        }
        TestContext.Current.SendDiagnosticMessage(string.Join("\n", report));
    }

    [Fact]
    public void OutOfTimeSplit_TrainsOnlyOnLabelWindowsClosedByTheFirstTestCutoff()
    {
        var simulator = new PopulationSimulator(new SimulationOptions { Users = 1000, Days = 120, Seed = 23, Now = SimulatedLog.Now, Churn = SimulationChurn.Realistic });
        var log = SimulatedLog.Generate(simulator);
        var start = DateOnly.FromDateTime(simulator.WindowStart.UtcDateTime);
        var plan = ChurnTrainingSet.Plan(start, start.AddDays(119));
        var examples = log.SelectMany(kv => ChurnTrainingSet.ForUser(kv.Key, kv.Value, plan)).ToList();

        var m = ChurnTrainer.Train(examples, new ChurnTrainingOptions { Trees = 20 }).Metrics;

        Assert.True(m.OutOfTime);
        var firstTest = m.TestCutoffs.Min();
        // Every training label window (cut-off, cut-off + 30 days] ends at or before the first test cut-off.
        Assert.All(m.TrainingCutoffs, c => Assert.True(c.AddDays(ChurnTrainingSet.HorizonDays) <= firstTest, $"{c} + 30 > {firstTest}"));
        Assert.Equal(plan.Cutoffs.Where(c => c + 30 <= firstTest.DayNumber).Select(DateOnly.FromDayNumber), m.TrainingCutoffs);
        var fitDays = m.TrainingCutoffs.SkipLast(1).Select(c => c.DayNumber).ToHashSet();
        Assert.Equal(examples.Count(e => fitDays.Contains(e.CutoffDay) && ChurnTrainer.Bucket(e.UserId) >= 20), m.FitExamples);
        Assert.Equal(examples.Count(e => e.CutoffDay == m.TrainingCutoffs[^1].DayNumber && ChurnTrainer.Bucket(e.UserId) >= 20), m.CalibrationExamples);
        Assert.Equal(examples.Count(e => e.CutoffDay >= firstTest.DayNumber && ChurnTrainer.Bucket(e.UserId) < 20), m.TestExamples);
        Assert.Equal(ChurnModelFeatures.Count, m.FeatureImportance!.Count);
        Assert.Equal(1.0, m.FeatureImportance.Sum(f => f.Importance), 2);
    }
}
