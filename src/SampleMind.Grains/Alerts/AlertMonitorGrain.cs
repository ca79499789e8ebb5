using SampleMind.Operations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SampleMind.Analytics.Alerts;
using SampleMind.Campaigns;
using SampleMind.Kpis;
using SampleMind.Outbox;
using SampleMind.Rollups;

namespace SampleMind.Alerts;

[GenerateSerializer, Alias("sm.alert-monitor-state")]
public sealed class AlertMonitorState
{
    /// <summary>The windowed signals still inside the longest window.</summary>
    [Id(0)] public Dictionary<string, Dictionary<long, long>> Signals { get; set; } = [];

    [Id(1)] public FlushLedger Applied { get; set; } = new();
}

/// <summary>
/// The alert engine. Signals arrive from every silo's pre-aggregator about once a second (sequence-deduplicated and
/// persisted, so windows survive a restart); campaign and KPI day grains report after each flush they apply. Every
/// arrival and a timer judge the rules (<see cref="AlertEvaluator"/>); a condition that starts firing is logged and
/// sent, a firing alert follows the latest value, and one whose condition cleared is resolved and sent. The firing set lives in the alert log, read back
/// on activation together with the campaigns' CAC and the launched features' KPI days.
/// </summary>
public sealed class AlertMonitorGrain(
    [PersistentState("alert-monitor", "Default")] IPersistentState<AlertMonitorState> state,
    AlertLog log,
    OutboxDispatcher outbox,
    IOptions<AlertOptions> options,
    TimeProvider time,
    ILogger<AlertMonitorGrain> logger) : Grain, IAlertMonitorGrain
{
    private readonly Dictionary<string, decimal?> _cac = new(StringComparer.Ordinal);
    private readonly Dictionary<DateOnly, FeatureDay> _days = [];
    private readonly Dictionary<(string Rule, string Subject), AlertView> _firing = [];
    private AlertSignals _signals = new();

    private AlertOptions Rules => options.Value;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _signals = state.State.Signals.ToSignals();
        foreach (var alert in await log.FiringAsync(cancellationToken))
        {
            _firing[(alert.Rule, alert.Subject)] = alert;
        }
        foreach (var id in await GrainFactory.GetGrain<ICampaignCatalogGrain>(ICampaignCatalogGrain.Key).ListAsync())
        {
            _cac[id] = (await GrainFactory.GetGrain<ICampaignGrain>(id).GetAsync())?.Cac;
        }
        foreach (var launch in Rules.FeatureLaunches.Values.Distinct())
        {
            var day = AlertEvaluator.AdoptionDay(Rules.FeatureAdoption, launch);
            var totals = await GrainFactory.GetGrain<IKpiDayGrain>(KpiMapping.DayKey(day)).GetTotalsAsync();
            _days[day] = new FeatureDay(totals.Dau, totals.FeatureUsers);
        }
        this.RegisterGrainTimer(_ => EvaluateAsync(), new GrainTimerCreationOptions(Rules.EvaluateInterval, Rules.EvaluateInterval) { KeepAlive = true });
    }

    public async Task ApplySignalsAsync(AlertSignalDelta delta, string source, long sequence)
    {
        if (!state.State.Applied.Accept(source, sequence))
        {
            return;
        }
        _signals.Add(delta.Counts.ToSignals());
        Prune();
        state.State.Signals = _signals.ToWire().Counts;
        await this.WriteOrDeactivateAsync(state);
        await EvaluateAsync();
    }

    public Task ObserveCampaignAsync(string campaign, decimal? cac)
    {
        _cac[campaign] = cac;
        return EvaluateAsync();
    }

    public Task ObserveKpiDayAsync(DateOnly date, int dau, Dictionary<string, int> featureUsers)
    {
        if (!Rules.FeatureLaunches.Values.Any(launch => AlertEvaluator.AdoptionDay(Rules.FeatureAdoption, launch) == date))
        {
            return Task.CompletedTask;
        }
        _days[date] = new FeatureDay(dau, featureUsers);
        return EvaluateAsync();
    }

    public async Task EvaluateAsync()
    {
        var now = time.GetUtcNow();
        var conditions = AlertEvaluator.Evaluate(Rules, _signals, _cac, _days, now);
        var judged = conditions.ToDictionary(c => (c.Rule, c.Subject));
        var sent = false;
        foreach (var condition in conditions.Where(c => c.Firing && !_firing.ContainsKey((c.Rule, c.Subject))))
        {
            var alert = await log.FireAsync(condition, now, Rules.WebhookUrl);
            _firing[(alert.Rule, alert.Subject)] = alert;
            logger.LogWarning("Alert {Rule} firing ({Severity}): {Message}", alert.Rule, alert.Severity, alert.Message);
            sent = true;
        }
        foreach (var (key, alert) in _firing.ToList())
        {
            var current = judged.GetValueOrDefault(key);
            if (current is { Firing: true })
            {
                if (current.Value != alert.Value)
                {
                    _firing[key] = await log.UpdateAsync(alert.Id, current.Value, current.Message);
                }
                continue;
            }
            var resolved = await log.ResolveAsync(alert.Id, current?.Value ?? 0, current?.Message ?? $"{alert.Rule} for {alert.Subject}: no data any more", now, Rules.WebhookUrl);
            _firing.Remove(key);
            logger.LogInformation("Alert {Rule} resolved: {Message}", resolved.Rule, resolved.Message);
            sent = true;
        }
        if (sent)
        {
            outbox.Wake();
        }
        foreach (var rule in AlertRuleNames.All)
        {
            SampleMindMetrics.SetGauge(SampleMindMetrics.AlertsFiring, _firing.Keys.Count(k => k.Rule == rule), rule);
        }
    }

    /// <summary>Drops buckets older than every window (seconds) and the daily-churn window (days).</summary>
    private void Prune()
    {
        var now = time.GetUtcNow();
        var longest = TimeSpan.FromTicks(Math.Max(Rules.ErrorRate.Window.Ticks, Rules.PaymentFailures.Window.Ticks));
        _signals.Prune(now.ToUnixTimeSeconds() - (long)longest.TotalSeconds, AlertSignals.DayNumber(now) - 1 - (long)Rules.DailyChurn.Window.TotalDays);
    }
}

/// <summary>Reads the alert log for the API, on any silo.</summary>
[Orleans.Concurrency.StatelessWorker]
public sealed class AlertLogGrain(AlertLog log) : Grain, IAlertLogGrain
{
    public async Task<AlertView[]> ListAsync(string? state, int limit) => [.. await log.ListAsync(state, limit)];
}
