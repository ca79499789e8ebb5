using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using SampleMind.Analytics.Users;

namespace SampleMind.Analytics.Churn;

/// <summary>A stored version whose input is not this build's feature vector (trained by an older build).</summary>
public sealed class ChurnModelMismatchException(string message) : Exception(message);

/// <summary>The segment a user is predicted to be in 30 days from now, with the model's confidence.</summary>
public sealed record class SegmentForecastValue(string Segment, double Probability, string ModelVersion);

/// <summary>
/// A trained churn version loaded for scoring: thread-safe and cheap per call. ML.NET's PredictionEngine is not
/// thread-safe, so each call rents one from a pool (one engine per concurrent caller; a silo's scheduler threads
/// are few) and returns it. Scores come with the reasons: the top three features pushing the score up, from
/// FastTree's feature contributions, in words.
/// </summary>
public sealed class ChurnPredictor
{
    private readonly Pool<ChurnRow, ChurnScore> _churn;
    private readonly Pool<ChurnRow, ChurnProbability> _probability;
    private readonly Pool<SegmentRow, SegmentScore>? _segment;

    public ChurnPredictor(string version, byte[] churnModel, byte[]? segmentModel)
    {
        Version = version;
        var ml = new MLContext(1);
        var churn = Load(ml, churnModel, version, ChurnRow.Length);
        _churn = new Pool<ChurnRow, ChurnScore>(ml, churn);
        _probability = new Pool<ChurnRow, ChurnProbability>(ml, WithoutContributions(churn));
        _segment = segmentModel is { Length: > 0 }
            ? new Pool<SegmentRow, SegmentScore>(ml, Load(ml, segmentModel, version, SegmentRow.Length))
            : null;
    }

    /// <summary>"churn@N".</summary>
    public string Version { get; }

    public static string VersionName(int version) => $"churn@{version}";

    /// <summary>The assessment of <paramref name="model"/> as of <paramref name="at"/> (<paramref name="seed"/> = its seven features then).</summary>
    public ChurnAssessment Assess(UserModel model, in ChurnFeatureValues seed, DateTimeOffset at)
    {
        var features = ChurnModelFeatures.Vector(model, seed, at);
        var score = _churn.Predict(new ChurnRow { Features = features });
        var probability = Probability(score.Probability);
        var factors = TopFactors(features, score.FeatureContributions);
        return RuleBasedChurnScorer.Complete(probability, factors, seed, model.LifetimeRevenue, model.MonthlyRevenue, Version);
    }

    /// <summary>
    /// The score alone, as <see cref="Assess"/> gives it, with its level and LTV: the same trees and calibration without
    /// the feature contributions (the user index needs no factors, and they cost more than the score).
    /// </summary>
    public ChurnRisk Risk(UserModel model, in ChurnFeatureValues seed, DateTimeOffset at)
    {
        var score = _probability.Predict(new ChurnRow { Features = ChurnModelFeatures.Vector(model, seed, at) });
        return ChurnRisk.Of(Probability(score.Probability), model.LifetimeRevenue, model.MonthlyRevenue, Version);
    }

    private static double Probability(float calibrated) => Math.Round(Math.Clamp((double)calibrated, 0, 1), 4);

    /// <summary>The segment in 30 days; null when this version has no segment model.</summary>
    public SegmentForecastValue? ForecastSegment(UserModel model, in ChurnFeatureValues seed, DateTimeOffset at)
    {
        if (_segment is null)
        {
            return null;
        }
        var features = ChurnModelFeatures.Vector(model, seed, at);
        var score = _segment.Predict(new SegmentRow { Features = SegmentRow.Vector(features, model.SegmentAt(at)) });
        var sum = score.Score.Sum();
        var probability = sum > 0 ? score.Score.Max() / sum : 0;
        return new SegmentForecastValue(score.PredictedLabel, Math.Round(probability, 4), Version);
    }

    /// <summary>The (at most) three features with the largest positive contribution, in words.</summary>
    public static IReadOnlyList<ChurnFactor> TopFactors(float[] features, float[] contributions)
        => Enumerable.Range(0, Math.Min(features.Length, contributions.Length))
            .Where(i => contributions[i] > 0)
            .OrderByDescending(i => contributions[i])
            .ThenBy(i => i)
            .Take(3)
            .Select(i => (Index: i, Value: Math.Round((double)features[i], 4)))
            .Select(f => new ChurnFactor(ChurnModelFeatures.Names[f.Index], f.Value, Math.Round(contributions[f.Index], 4),
                ChurnModelFeatures.Describe(ChurnModelFeatures.Names[f.Index], f.Value)))
            .ToArray();

    /// <summary>
    /// Loads a model and checks its input is today's feature vector: a version trained on an older vector (fewer
    /// features) cannot score today's, and would fail on every call instead of once here.
    /// </summary>
    private static ITransformer Load(MLContext ml, byte[] bytes, string version, int features)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        var model = ml.Model.Load(stream, out var input);
        var width = input.GetColumnOrNull(nameof(ChurnRow.Features))?.Type is VectorDataViewType { Size: var size } ? size : 0;
        if (width != features)
        {
            throw new ChurnModelMismatchException(
                $"{version} was trained on {width} features; this build's model reads {features}: train a new version");
        }
        return model;
    }

    /// <summary>The churn chain without its feature-contribution step (the calibrator reads the trees' score, not the contributions).</summary>
    private static ITransformer WithoutContributions(ITransformer model)
        => model is TransformerChain<ITransformer> chain
            ? new TransformerChain<ITransformer>([.. chain.Where(t => t is not FeatureContributionCalculatingTransformer)])
            : model;

    /// <summary>The calibrated probability alone.</summary>
    private sealed class ChurnProbability
    {
        public float Probability { get; set; }
    }

    /// <summary>Prediction engines for concurrent callers: rent one, predict, give it back.</summary>
    private sealed class Pool<TIn, TOut>(MLContext ml, ITransformer model)
        where TIn : class
        where TOut : class, new()
    {
        private readonly ConcurrentBag<PredictionEngine<TIn, TOut>> _idle = [];
        private readonly Lock _create = new();

        public TOut Predict(TIn input)
        {
            if (!_idle.TryTake(out var engine))
            {
                lock (_create)
                {
                    engine = ml.Model.CreatePredictionEngine<TIn, TOut>(model);
                }
            }
            try
            {
                return engine.Predict(input);
            }
            finally
            {
                _idle.Add(engine);
            }
        }
    }
}
