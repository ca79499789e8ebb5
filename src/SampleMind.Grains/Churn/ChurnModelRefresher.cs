using SampleMind.Operations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SampleMind.Analytics.Churn;
using SampleMind.ModelVersions;

namespace SampleMind.Churn;

/// <summary>
/// Follows the churn model registry: every poll interval it asks PostgreSQL which version is promoted and, when that
/// changed, loads it into the silo's <see cref="ModelChurnScorer"/> (no restart). New versions get their evaluation
/// recorded in their AI-model-version grain (<c>churn@N</c>), so <c>/api/models</c> lists them with their metrics.
/// </summary>
public sealed partial class ChurnModelRefresher(
    ChurnModelStore store,
    ModelChurnScorer scorer,
    IGrainFactory grains,
    IOptions<ChurnModelOptions> options,
    ILogger<ChurnModelRefresher> logger) : BackgroundService
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int? _loaded;
    private int _recorded;

    /// <summary>Brings the scorer to the promoted version now (the promoting silo does not wait for its next poll).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var promoted = await store.PromotedVersionAsync(cancellationToken);
            if (promoted == _loaded)
            {
                SampleMindMetrics.SetGauge(SampleMindMetrics.ChurnModelVersion, _loaded ?? 0);
                return;
            }
            if (promoted is not { } version || await store.LoadAsync(version, cancellationToken) is not { } stored)
            {
                scorer.Use(null);
                _loaded = null;
                SampleMindMetrics.SetGauge(SampleMindMetrics.ChurnModelVersion, 0);
                LogRules(logger);
                return;
            }
            ChurnPredictor predictor;
            try
            {
                predictor = new ChurnPredictor(ChurnPredictor.VersionName(version), stored.ChurnModel, stored.SegmentModel);
            }
            catch (ChurnModelMismatchException ex)
            {
                // A version of an older feature vector: score by the rules rather than fail every call.
                scorer.Use(null);
                _loaded = version;
                SampleMindMetrics.SetGauge(SampleMindMetrics.ChurnModelVersion, 0);
                LogMismatch(logger, ex.Message);
                return;
            }
            scorer.Use(predictor);
            _loaded = version;
            SampleMindMetrics.SetGauge(SampleMindMetrics.ChurnModelVersion, version);
            LogPromoted(logger, scorer.Version);
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PollInterval);
        do
        {
            try
            {
                await RefreshAsync(stoppingToken);
                await RecordNewVersionsAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogPollFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task RecordNewVersionsAsync(CancellationToken cancellationToken)
    {
        foreach (var entry in await store.ListAfterAsync(_recorded, cancellationToken))
        {
            var m = entry.Metrics;
            await grains.GetGrain<IModelVersionGrain>(ChurnPredictor.VersionName(entry.Version)).SetTrainingAsync(new ModelTraining
            {
                TrainedAt = entry.CreatedAt,
                Auc = m.Auc,
                PrAuc = m.PrAuc,
                LogLoss = m.LogLoss,
                Calibration = m.Calibration.Select(b => new CalibrationDecile(b.Decile, b.Count, b.MeanPredicted, b.ObservedRate)).ToArray(),
                TestExamples = m.TestExamples,
                TestPositives = m.TestPositives,
                SegmentAccuracy = double.IsNaN(m.SegmentAccuracy) ? null : m.SegmentAccuracy,
                Brier = double.IsNaN(m.Brier) ? null : m.Brier,
                Ece = double.IsNaN(m.Ece) ? null : m.Ece,
                TopDecileCapture = double.IsNaN(m.TopDecileCapture) ? null : m.TopDecileCapture,
                OutOfTime = m.Split is null ? null : m.OutOfTime,
                FeatureImportance = m.FeatureImportance?.Select(f => new FeatureWeight(f.Feature, f.Importance)).ToArray(),
                FeatureImportanceMethod = m.FeatureImportance is null ? null : ChurnTrainer.FeatureImportanceMethod,
                OracleAuc = m.OracleAuc,
            });
            _recorded = entry.Version;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Churn scoring uses {Version} (promoted)")]
    private static partial void LogPromoted(ILogger logger, string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Churn scoring uses rules@1: no version is promoted")]
    private static partial void LogRules(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Churn scoring uses rules@1: the promoted version cannot score ({Reason})")]
    private static partial void LogMismatch(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Churn model registry poll failed; trying again at the next interval")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
