using System.Diagnostics;
using SampleMind.Analytics.Churn;

namespace SampleMind.UnitTests.Churn;

/// <summary>Issue 6, "Must show": a model trained on a simulated population separates churners on later dates and held-out users.</summary>
public sealed class ChurnModelTrainingTests
{
    [Fact]
    public void TrainedModel_OnLaterDatesAndHeldOutUsers_HasAucOfAtLeast085_AndACalibrationTable()
    {
        var clock = Stopwatch.StartNew();
        var log = SimulatedLog.Generate(2000, 90, 11);
        var plan = ChurnTrainingSet.Plan(DateOnly.FromDateTime(SimulatedLog.Now.AddDays(-90).UtcDateTime), DateOnly.FromDateTime(SimulatedLog.Now.AddDays(-1).UtcDateTime));
        var examples = log.SelectMany(kv => ChurnTrainingSet.ForUser(kv.Key, kv.Value, plan)).ToList();
        var built = clock.Elapsed;
        var result = ChurnTrainer.Train(examples, new ChurnTrainingOptions());
        var m = result.Metrics;
        var report = $"{examples.Count} examples ({examples.Count(e => e.Churned)} churned) built in {built.TotalSeconds:F1} s, trained in {(clock.Elapsed - built).TotalSeconds:F1} s\n"
            + $"auc {m.Auc} prAuc {m.PrAuc} logLoss {m.LogLoss} test {m.TestExamples}/{m.TestPositives} fit {m.FitExamples} cal {m.CalibrationExamples} seg {m.SegmentAccuracy} stay {m.SegmentStayAccuracy}\n"
            + string.Join("\n", m.Calibration.Select(b => $"{b.Decile} {b.Count} {b.MeanPredicted} {b.ObservedRate}"));
        TestContext.Current.SendDiagnosticMessage(report);
        File.WriteAllText("/tmp/churn-report.txt", report);
        Assert.True(m.Auc >= 0.85, report);
    }
}
