using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using SampleMind.Analytics.Segments;

namespace SampleMind.Analytics.Churn;

/// <summary>How to train; the defaults are what <c>samplemind train-churn</c> uses.</summary>
public sealed record class ChurnTrainingOptions
{
    // Shallow, slow trees: on the realistic population (docs/churn-evaluation.md) 16 leaves at 0.1 fit the early
    // cut-offs' noise; 8 leaves of at least 100 examples at 0.05 ranked the later dates better on two 5,000-person seeds.
    public int Trees { get; init; } = 300;
    public int Leaves { get; init; } = 8;
    public int MinExamplesPerLeaf { get; init; } = 100;
    public double LearningRate { get; init; } = 0.05;
    public int SegmentTrees { get; init; } = 60;
    public int Seed { get; init; } = 1;

    /// <summary>Users (by a stable hash of the id) held out for evaluation: never seen in training.</summary>
    public int HoldoutPercent { get; init; } = 20;

    /// <summary>Users whose examples fit the probability calibration (Platt) instead of the trees.</summary>
    public int CalibrationPercent { get; init; } = 15;

    /// <summary>The latest cut-offs are evaluation dates; training uses only the earlier ones.</summary>
    public int TestCutoffs { get; init; } = 2;

    /// <summary>How the trees' scores become probabilities on the calibration slice.</summary>
    public ChurnCalibration Calibration { get; init; } = ChurnCalibration.Platt;

    /// <summary>The least churned and retained examples each of the fit, calibration and test sets must hold.</summary>
    public int MinExamplesPerClass { get; init; } = 10;
}

/// <summary>
/// The probability calibration: Platt (a sigmoid of the score, two parameters) or isotonic (a monotone step function,
/// for when the score-to-rate curve is no sigmoid).
/// </summary>
public enum ChurnCalibration
{
    Platt = 0,
    Isotonic = 1,
}

/// <summary>The measured quality of a trained version (on the held-out users at the later dates).</summary>
public sealed record class ChurnModelMetrics
{
    public required double Auc { get; init; }
    public required double PrAuc { get; init; }
    public required double LogLoss { get; init; }
    public required IReadOnlyList<CalibrationBin> Calibration { get; init; }
    public required int TestExamples { get; init; }
    public required int TestPositives { get; init; }
    public required int FitExamples { get; init; }
    public required int CalibrationExamples { get; init; }
    public required int Users { get; init; }
    public required IReadOnlyList<DateOnly> TrainingCutoffs { get; init; }
    public required IReadOnlyList<DateOnly> TestCutoffs { get; init; }
    /// <summary>Share of test examples whose segment 30 days later the segment model predicts.</summary>
    public required double SegmentAccuracy { get; init; }
    /// <summary>The same share for "the segment stays as it is", the baseline the segment model must beat.</summary>
    public required double SegmentStayAccuracy { get; init; }
    public required IReadOnlyList<string> Features { get; init; }
    public double Brier { get; init; } = double.NaN;
    /// <summary>Expected calibration error over the ten equal-count bins of <see cref="Calibration"/>.</summary>
    public double Ece { get; init; } = double.NaN;
    public double TopDecileCapture { get; init; } = double.NaN;
    public double TopDecileLift { get; init; } = double.NaN;
    /// <summary>Whether every training label window closed by the first test cut-off.</summary>
    public bool OutOfTime { get; init; }
    public string? Split { get; init; }
    /// <summary>FastTree's own gain-based feature importance (summed split gains, normalised to sum 1), highest first.</summary>
    public IReadOnlyList<FeatureImportance>? FeatureImportance { get; init; }
    /// <summary>On simulated data with its truth: the AUC of the true probabilities on the test examples.</summary>
    public double? OracleAuc { get; init; }
    /// <summary>The model's AUC / the oracle AUC, on the same examples.</summary>
    public double? OracleShare { get; init; }
    public int? OracleExamples { get; init; }
    public OracleMetrics? Oracle { get; init; }
}

/// <summary>One feature's share of the model's importance.</summary>
public sealed record class FeatureImportance(string Feature, double Importance);

/// <summary>The true probabilities scored like a model, and the model's AUC on the same examples.</summary>
public sealed record class OracleMetrics(double Auc, double PrAuc, double LogLoss, double Brier, double Ece, double TopDecileCapture, double ModelAuc,
    IReadOnlyList<CalibrationBin> Calibration);

/// <summary>A trained version: the two ML.NET models (zip bytes) and their metrics.</summary>
public sealed record class ChurnTrainingResult(byte[] ChurnModel, byte[] SegmentModel, ChurnModelMetrics Metrics)
{
    /// <summary>Each test example's calibrated probability (and the truth's, when given), for a look at where the model errs.</summary>
    public IReadOnlyList<ChurnTestPrediction> TestPredictions { get; init; } = [];
}

/// <summary>One test example as the model scored it; <paramref name="TrueProbability"/> from a simulator's truth, else null.</summary>
public sealed record class ChurnTestPrediction(
    string UserId,
    DateOnly Cutoff,
    bool Paid,
    bool Churned,
    double Probability,
    double? TrueProbability);

/// <summary>The training set cannot give a trustworthy model (too few users, examples or churners). The message says why.</summary>
public sealed class ChurnTrainingException(string message) : Exception(message);

/// <summary>
/// Trains the churn model (ML.NET FastTree, boosted trees, binary) with probability calibration (Platt, fitted on
/// users the trees never saw), and the segment-transition model (the segment in 30 days; one-versus-all FastTree) on
/// the same examples. Evaluation is time-based and on held-out users: the latest cut-off dates of users outside training.
/// </summary>
public static class ChurnTrainer
{
    public const string FeatureImportanceMethod = "FastTree gain: the summed split gains of each feature over the trees, normalised to sum 1";

    public static ChurnTrainingResult Train(IReadOnlyList<ChurnExample> examples, ChurnTrainingOptions options, Action<string>? stage = null,
        IReadOnlyDictionary<(string UserId, int CutoffDay), double>? truth = null)
    {
        var cutoffs = examples.Select(e => e.CutoffDay).Distinct().Order().ToArray();
        if (cutoffs.Length <= options.TestCutoffs)
        {
            throw new ChurnTrainingException($"the log spans too few dates: {cutoffs.Length} cut-off date(s) with active users, "
                + $"need more than {options.TestCutoffs} (about {ChurnTrainingSet.MinHistoryDays + ChurnTrainingSet.HorizonDays + 7} days of events or more)");
        }
        var testFrom = cutoffs[^options.TestCutoffs];
        // Out of time: training cut-offs whose 30-day label window (c, c + 30] closes at or before the first test cut-off;
        // the latest of them is the calibration slice (held out in time from the trees), the earlier ones fit the trees.
        var eligible = cutoffs.Where(c => c + ChurnTrainingSet.HorizonDays <= testFrom).ToArray();
        var outOfTime = eligible.Length >= 2;
        var fit = new List<ChurnExample>();
        var calibration = new List<ChurnExample>();
        var test = new List<ChurnExample>();
        foreach (var e in examples)
        {
            var bucket = Bucket(e.UserId);
            var held = bucket < options.HoldoutPercent;
            if (e.CutoffDay >= testFrom)
            {
                if (held)
                {
                    test.Add(e);
                }
            }
            else if (held)
            {
                continue;
            }
            else if (outOfTime)
            {
                if (e.CutoffDay == eligible[^1])
                {
                    calibration.Add(e);
                }
                else if (e.CutoffDay < eligible[^1])
                {
                    fit.Add(e);
                }
            }
            else
            {
                (bucket < options.HoldoutPercent + options.CalibrationPercent ? calibration : fit).Add(e);
            }
        }
        Require("training", fit, options.MinExamplesPerClass);
        Require("calibration", calibration, options.MinExamplesPerClass);
        Require("evaluation", test, options.MinExamplesPerClass);

        var ml = new MLContext(options.Seed);
        stage?.Invoke("churn model");
        var fitData = ml.Data.LoadFromEnumerable(fit.Select(ChurnRow.Of));
        var trees = ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            LabelColumnName = nameof(ChurnRow.Label),
            FeatureColumnName = nameof(ChurnRow.Features),
            NumberOfTrees = options.Trees,
            NumberOfLeaves = options.Leaves,
            MinimumExampleCountPerLeaf = options.MinExamplesPerLeaf,
            LearningRate = options.LearningRate,
        }).Fit(fitData);
        var contributions = ml.Transforms.CalculateFeatureContribution(trees, ChurnModelFeatures.Count, ChurnModelFeatures.Count, normalize: false).Fit(fitData);

        stage?.Invoke("calibration");
        var calibrationData = trees.Transform(ml.Data.LoadFromEnumerable(calibration.Select(ChurnRow.Of)));
        ITransformer calibrator = options.Calibration == ChurnCalibration.Isotonic
            ? ml.BinaryClassification.Calibrators.Isotonic(nameof(ChurnRow.Label), "Score").Fit(calibrationData)
            : ml.BinaryClassification.Calibrators.Platt(nameof(ChurnRow.Label), "Score").Fit(calibrationData);
        var churnChain = new TransformerChain<ITransformer>(trees, contributions, calibrator);

        stage?.Invoke("evaluation");
        var scored = ml.Data.CreateEnumerable<ChurnScore>(churnChain.Transform(ml.Data.LoadFromEnumerable(test.Select(ChurnRow.Of))), reuseRowObject: false)
            .Select(s => (double)s.Probability).ToArray();
        var metrics = BinaryMetrics.Compute(scored, test.Select(e => e.Churned).ToArray());
        var weights = default(VBuffer<float>);
        trees.Model.SubModel.GetFeatureWeights(ref weights);
        var gains = weights.DenseValues().ToArray();
        var totalGain = gains.Sum();
        var importance = ChurnModelFeatures.Names.Select((name, i) => new FeatureImportance(name, Math.Round(totalGain > 0 ? gains[i] / totalGain : 0, 4)))
            .OrderByDescending(f => f.Importance).ToArray();

        // The oracle: the simulator's true probability of the same label, on the test examples it covers.
        BinaryMetrics? oracle = null;
        var withTruth = truth is null ? Array.Empty<(ChurnExample e, int i, double p)>() : test.Select((e, i) => (e, i, p: truth.TryGetValue((e.UserId, e.CutoffDay), out var p) ? p : double.NaN))
            .Where(x => !double.IsNaN(x.p)).ToArray();
        BinaryMetrics? modelOnOracleSet = null;
        if (withTruth.Length > 0)
        {
            oracle = BinaryMetrics.Compute(withTruth.Select(x => x.p).ToArray(), withTruth.Select(x => x.e.Churned).ToArray());
            modelOnOracleSet = BinaryMetrics.Compute(withTruth.Select(x => scored[x.i]).ToArray(), withTruth.Select(x => x.e.Churned).ToArray());
        }

        stage?.Invoke("segment model");
        var segmentTrain = fit.Concat(calibration).ToList();
        var segmentData = ml.Data.LoadFromEnumerable(segmentTrain.Select(SegmentRow.Of));
        var segmentModel = ml.Transforms.Conversion.MapValueToKey(nameof(SegmentRow.Label))
            .Append(ml.MulticlassClassification.Trainers.OneVersusAll(
                ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
                {
                    NumberOfTrees = options.SegmentTrees,
                    NumberOfLeaves = options.Leaves,
                    MinimumExampleCountPerLeaf = options.MinExamplesPerLeaf,
                    LearningRate = 0.2,
                }), nameof(SegmentRow.Label)))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(segmentData);
        var predicted = ml.Data.CreateEnumerable<SegmentScore>(segmentModel.Transform(ml.Data.LoadFromEnumerable(test.Select(SegmentRow.Of))), reuseRowObject: false)
            .Select(s => s.PredictedLabel).ToArray();

        var paidAt = ChurnModelFeatures.Names.ToList().IndexOf("paid_plan");
        var predictions = test.Select((e, i) => new ChurnTestPrediction(
            e.UserId,
            DateOnly.FromDayNumber(e.CutoffDay),
            Paid: e.Features[paidAt] > 0.5f,
            e.Churned,
            Math.Round(scored[i], 6),
            truth is not null && truth.TryGetValue((e.UserId, e.CutoffDay), out var p) ? p : null)).ToArray();
        return new ChurnTrainingResult(
            Save(ml, churnChain, fitData.Schema),
            Save(ml, segmentModel, segmentData.Schema),
            new ChurnModelMetrics
            {
                Auc = metrics.Auc,
                PrAuc = metrics.PrAuc,
                LogLoss = metrics.LogLoss,
                Calibration = metrics.Calibration,
                Brier = metrics.Brier,
                Ece = metrics.Ece,
                TopDecileCapture = metrics.TopDecileCapture,
                TopDecileLift = metrics.TopDecileLift,
                OutOfTime = outOfTime,
                Split = outOfTime
                    ? $"out of time: fit on cut-offs {DateOnly.FromDayNumber(eligible[0]):yyyy-MM-dd}…{DateOnly.FromDayNumber(eligible[^2]):yyyy-MM-dd}, {(options.Calibration == ChurnCalibration.Isotonic ? "isotonic" : "Platt")} calibration on {DateOnly.FromDayNumber(eligible[^1]):yyyy-MM-dd} (every label window closes by the first test cut-off {DateOnly.FromDayNumber(testFrom):yyyy-MM-dd}), test on later cut-offs of held-out users"
                    : "held-out users at later dates; the log is too short for out-of-time (training label windows overlap the test dates)",
                FeatureImportance = importance,
                OracleAuc = oracle?.Auc,
                OracleShare = oracle is null || modelOnOracleSet is null ? null : Math.Round(modelOnOracleSet.Auc / oracle.Auc, 4),
                OracleExamples = oracle?.Examples,
                Oracle = oracle is null ? null : new OracleMetrics(oracle.Auc, oracle.PrAuc, oracle.LogLoss, oracle.Brier, oracle.Ece, oracle.TopDecileCapture,
                    modelOnOracleSet!.Auc, oracle.Calibration),
                TestExamples = metrics.Examples,
                TestPositives = metrics.Positives,
                FitExamples = fit.Count,
                CalibrationExamples = calibration.Count,
                Users = examples.Select(e => e.UserId).Distinct(StringComparer.Ordinal).Count(),
                TrainingCutoffs = (outOfTime ? eligible : cutoffs.Where(c => c < testFrom).ToArray()).Select(DateOnly.FromDayNumber).ToArray(),
                TestCutoffs = cutoffs.Where(c => c >= testFrom).Select(DateOnly.FromDayNumber).ToArray(),
                SegmentAccuracy = Share(test.Select((e, i) => predicted[i] == e.SegmentIn30Days)),
                SegmentStayAccuracy = Share(test.Select(e => e.Segment == e.SegmentIn30Days)),
                Features = ChurnModelFeatures.Names,
            })
        {
            TestPredictions = predictions,
        };
    }

    /// <summary>A stable bucket 0…99 of a user id (FNV-1a), so a user is held out in every run.</summary>
    public static int Bucket(string userId)
    {
        var hash = 2166136261u;
        foreach (var c in userId)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return (int)(hash % 100);
    }

    private static void Require(string set, List<ChurnExample> examples, int minimum)
    {
        var churned = examples.Count(e => e.Churned);
        if (churned < minimum || examples.Count - churned < minimum)
        {
            throw new ChurnTrainingException($"too little data for a churn model: the {set} set has {churned} churned and "
                + $"{examples.Count - churned} retained examples, it needs at least {minimum} of each (more users or a longer event log)");
        }
    }

    private static double Share(IEnumerable<bool> hits)
    {
        var all = hits.ToArray();
        return all.Length == 0 ? double.NaN : Math.Round(all.Count(h => h) / (double)all.Length, 4);
    }

    private static byte[] Save(MLContext ml, ITransformer model, DataViewSchema schema)
    {
        using var stream = new MemoryStream();
        ml.Model.Save(model, schema, stream);
        return stream.ToArray();
    }
}

/// <summary>The churn model's input row.</summary>
public sealed class ChurnRow
{
    public const int Length = 33;

    [VectorType(Length)]
    public float[] Features { get; set; } = [];

    public bool Label { get; set; }

    public static ChurnRow Of(ChurnExample e) => new() { Features = e.Features, Label = e.Churned };
}

/// <summary>The churn model's output: calibrated probability and each feature's contribution to the raw score.</summary>
public sealed class ChurnScore
{
    public float Score { get; set; }
    public float Probability { get; set; }
    public float[] FeatureContributions { get; set; } = [];
}

/// <summary>The segment model's input row: the churn features and the current segment, one-hot.</summary>
public sealed class SegmentRow
{
    public const int Length = ChurnRow.Length + 5;

    [VectorType(Length)]
    public float[] Features { get; set; } = [];

    public string Label { get; set; } = "";

    public static SegmentRow Of(ChurnExample e) => new() { Features = Vector(e.Features, e.Segment), Label = e.SegmentIn30Days };

    public static float[] Vector(float[] features, string segment)
    {
        var vector = new float[Length];
        features.CopyTo(vector, 0);
        var index = SegmentNames.All.ToList().IndexOf(segment);
        if (index >= 0)
        {
            vector[ChurnRow.Length + index] = 1;
        }
        return vector;
    }
}

/// <summary>The segment model's output.</summary>
public sealed class SegmentScore
{
    public string PredictedLabel { get; set; } = "";
    public float[] Score { get; set; } = [];
}
