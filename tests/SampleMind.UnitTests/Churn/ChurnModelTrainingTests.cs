using SampleMind.Analytics.Churn;
using SampleMind.Analytics.Users;

namespace SampleMind.UnitTests.Churn;

/// <summary>
/// Issue 6, "Must show": trained on a simulated population (2000 users × 90 days through the production ingest reader
/// and user model) and evaluated at later dates on held-out users, the churn model reaches AUC ≥ 0.85, with a
/// calibration table; a loaded version explains each score with its top factors in words.
/// </summary>
public sealed class ChurnModelTrainingTests
{
    private static readonly Lazy<(Dictionary<string, List<EventFacts>> Log, List<ChurnExample> Examples, ChurnTrainingResult Result)> s_trained = new(() =>
    {
        var log = SimulatedLog.Generate(2000, 90, 11);
        var plan = ChurnTrainingSet.Plan(DateOnly.FromDateTime(SimulatedLog.Now.AddDays(-90).UtcDateTime), DateOnly.FromDateTime(SimulatedLog.Now.AddDays(-1).UtcDateTime));
        var examples = log.SelectMany(kv => ChurnTrainingSet.ForUser(kv.Key, kv.Value, plan)).ToList();
        return (log, examples, ChurnTrainer.Train(examples, new ChurnTrainingOptions()));
    });

    [Fact]
    public void TrainedModel_OnLaterDatesAndHeldOutUsers_HasAucOfAtLeast085_AndACalibrationTable()
    {
        var (_, examples, result) = s_trained.Value;
        var m = result.Metrics;
        var report = $"auc {m.Auc} prAuc {m.PrAuc} logLoss {m.LogLoss}; test {m.TestExamples} ({m.TestPositives} churned), fit {m.FitExamples}, "
            + $"calibration {m.CalibrationExamples}; segment {m.SegmentAccuracy} (stay {m.SegmentStayAccuracy})\n"
            + string.Join("\n", m.Calibration.Select(b => $"decile {b.Decile}: {b.Count} predicted {b.MeanPredicted} observed {b.ObservedRate}"));
        TestContext.Current.SendDiagnosticMessage(report);

        Assert.True(m.Auc >= 0.85, report);
        Assert.True(m.PrAuc > m.TestPositives / (double)m.TestExamples, report);   // better than the base rate

        // Evaluation: the two latest cut-offs, only users the model never trained on (the hash buckets 0…19).
        var testFrom = m.TestCutoffs.Min().DayNumber;
        var heldOut = examples.Where(e => e.CutoffDay >= testFrom && ChurnTrainer.Bucket(e.UserId) < 20).ToList();
        Assert.Equal(2, m.TestCutoffs.Count);
        Assert.All(m.TrainingCutoffs, c => Assert.True(c.DayNumber < testFrom));
        Assert.Equal((heldOut.Count, heldOut.Count(e => e.Churned)), (m.TestExamples, m.TestPositives));
        Assert.Equal(examples.Count(e => e.CutoffDay < testFrom && ChurnTrainer.Bucket(e.UserId) >= 35), m.FitExamples);

        // The calibration table: ten deciles covering every test example, in rising predicted probability; the top
        // decile churns far more than the bottom one.
        Assert.Equal(Enumerable.Range(1, 10), m.Calibration.Select(b => b.Decile));
        Assert.Equal(m.TestExamples, m.Calibration.Sum(b => b.Count));
        Assert.True(m.Calibration.Zip(m.Calibration.Skip(1)).All(p => p.First.MeanPredicted <= p.Second.MeanPredicted), report);
        Assert.True(m.Calibration[^1].ObservedRate - m.Calibration[0].ObservedRate >= 0.5, report);
        // The segment in 30 days beats "it stays as it is".
        Assert.True(m.SegmentAccuracy > m.SegmentStayAccuracy, report);
    }

    [Fact]
    public void LoadedVersion_ExplainsEachScore_WithItsTopThreeFactorsInWords_AndLtvAtRisk()
    {
        var (log, _, result) = s_trained.Value;
        var predictor = new ChurnPredictor("churn@7", result.ChurnModel, result.SegmentModel);
        var at = SimulatedLog.Now.AddTicks(-1);
        var assessed = 0;
        Parallel.ForEach(log.Take(200), kv =>
        {
            var model = new UserModel { UserId = kv.Key };
            foreach (var e in kv.Value)
            {
                model.Apply(e);
            }
            var seed = model.ChurnFeaturesAt(at);
            var a = predictor.Assess(model, seed, at);

            Assert.Equal("churn@7", a.ModelVersion);
            Assert.InRange(a.Score, 0, 1);
            Assert.Equal(RiskLevels.For(a.Score), a.Level);
            Assert.InRange(a.Factors.Count, 0, 3);
            Assert.All(a.Factors, f => Assert.True(f.Contribution > 0));
            Assert.Equal(a.Factors.OrderByDescending(f => f.Contribution).Select(f => f.Feature), a.Factors.Select(f => f.Feature));
            Assert.All(a.Factors, f => Assert.Equal(ChurnModelFeatures.Describe(f.Feature, f.Value), f.Description));
            Assert.Equal(Lifetime.Value(model.LifetimeRevenue, model.MonthlyRevenue, a.Score), a.Ltv);
            Assert.Equal(Math.Round(a.Ltv * (decimal)a.Score, 2), a.ExpectedLtvImpact);
            Assert.Equal(RuleBasedChurnScorer.RecommendActions(seed, a.Level, a.Ltv), a.Actions);
            Assert.Equal(new ChurnRisk(a.Score, a.Level, a.Ltv, a.ModelVersion), predictor.Risk(model, seed, at)); // the index's score-only path
            Assert.Contains(predictor.ForecastSegment(model, seed, at)!.Segment, Analytics.Segments.SegmentNames.All);
            Interlocked.Increment(ref assessed);
        });
        Assert.Equal(200, assessed);
    }

    [Fact]
    public void TooFewExamples_StopWithAClearMessage()
    {
        float[] features = new float[ChurnModelFeatures.Count];
        var oneDate = Enumerable.Range(0, 50).Select(i => new ChurnExample($"u{i}", 100, features, i % 2 == 0, "explorers", "explorers")).ToList();
        var twoDates = oneDate.Concat(oneDate.Select(e => e with { CutoffDay = 107 })).ToList();

        var dates = Assert.Throws<ChurnTrainingException>(() => ChurnTrainer.Train(oneDate, new ChurnTrainingOptions()));
        var small = Assert.Throws<ChurnTrainingException>(() => ChurnTrainer.Train(twoDates, new ChurnTrainingOptions { TestCutoffs = 1 }));

        Assert.StartsWith("the log spans too few dates: 1 cut-off date(s) with active users", dates.Message, StringComparison.Ordinal);
        Assert.Matches(@"^too little data for a churn model: the (training|calibration|evaluation) set has \d+ churned and \d+ retained examples, it needs at least 10 of each", small.Message);
    }
}
