using Microsoft.Extensions.Logging;
using SampleMind.Analytics.Alerts;
using SampleMind.Analytics.Users;
using SampleMind.Rollups;
using SampleMind.Users;

namespace SampleMind.Alerts;

/// <summary>The alert signals of each ingest's new events (they are per event, so the delta is the events' own counts).</summary>
public sealed class AlertSignalUserRollup(AlertSignalPreAggregator sink) : IUserRollup
{
    /// <summary>Per-event figures: a merge moves none of them.</summary>
    public bool CountsPeople => false;

    public IUserRollupCapture Begin(UserModel model, IReadOnlyList<EventFacts> events)
    {
        var signals = AlertSignals.Of(events);
        return new Capture(sink, signals.IsEmpty ? null : signals);
    }

    /// <summary>The erased events' signals, negated.</summary>
    public IUserRollupCapture BeginErase(UserModel model, IReadOnlyList<EventFacts> events)
    {
        var signals = AlertSignals.Of(events);
        return new Capture(sink, signals.IsEmpty ? null : signals.Negated());
    }

    private sealed class Capture(AlertSignalPreAggregator sink, AlertSignals? signals) : IUserRollupCapture
    {
        public void Complete(UserModel model)
        {
            if (signals is not null)
            {
                sink.Add(signals);
            }
        }
    }
}

/// <summary>
/// The per-silo alert-signal pre-aggregator: one call per flush to the alert monitor, about once a second. Its first
/// flush also wakes the monitor, so that its timer resolves what cleared while the cluster was down even without traffic.
/// </summary>
public sealed class AlertSignalPreAggregator : IRollupFlushTarget
{
    private readonly PreAggregator<int, AlertSignals> _signals;
    private readonly IGrainFactory _grains;
    private bool _monitorAwake;

    public AlertSignalPreAggregator(IGrainFactory grains, ILogger<AlertSignalPreAggregator> logger)
    {
        _grains = grains;
        _signals = new("alert-signals", () => new AlertSignals(), (into, delta) => into.Add(delta), s => s.IsEmpty,
            (_, delta, source, sequence) => grains.GetGrain<IAlertMonitorGrain>(IAlertMonitorGrain.Key).ApplySignalsAsync(delta.ToWire(), source, sequence),
            logger);
    }

    public void Add(AlertSignals signals) => _signals.Add(0, signals);

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (!_monitorAwake)
        {
            await _grains.ReportToAlertsAsync(m => m.EvaluateAsync());
            _monitorAwake = true;
        }
        await _signals.FlushAsync(cancellationToken);
    }

    public bool IsIdle => _signals.IsIdle;
}

public static class AlertSignalMapping
{
    public static AlertSignalDelta ToWire(this AlertSignals signals)
        => new(signals.Counts.ToDictionary(c => c.Key, c => new Dictionary<long, long>(c.Value), StringComparer.Ordinal));

    public static AlertSignals ToSignals(this Dictionary<string, Dictionary<long, long>> counts)
    {
        var signals = new AlertSignals();
        foreach (var (key, buckets) in counts)
        {
            foreach (var (bucket, count) in buckets)
            {
                signals.Add(key, bucket, count);
            }
        }
        return signals;
    }
}

public static class AlertMonitorReports
{
    /// <summary>
    /// Sends an aggregate grain's figures to the alert monitor and waits (so they arrive in order). A failure does not
    /// fail the aggregate's flush: the monitor logs its own failures and reads every campaign and launched feature's
    /// KPI day again when it activates.
    /// </summary>
    public static async Task ReportToAlertsAsync(this IGrainFactory grains, Func<IAlertMonitorGrain, Task> report)
    {
        try
        {
            await report(grains.GetGrain<IAlertMonitorGrain>(IAlertMonitorGrain.Key));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // see above
        }
    }
}
