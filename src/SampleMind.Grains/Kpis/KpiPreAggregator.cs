using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SampleMind.Analytics.Kpis;

namespace SampleMind.Kpis;

/// <summary>Where user grains report their KPI deltas.</summary>
public interface IKpiDeltaSink
{
    void Add(KpiDeltas deltas);
}

public sealed class KpiOptions
{
    /// <summary>How often each silo's pre-aggregator flushes to the KPI grains.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// The per-silo pre-aggregator: user grains add their deltas in memory (no grain call per event); about once a second
/// the sums go to the KPI day and week grains, one call per touched day or week. A flush that fails is resent with the
/// same sequence number until it succeeds, and the grains ignore a sequence they have already applied, so a retry
/// never counts twice. What is in memory when a silo dies hard is lost: that is what reconcile --fix is for.
/// </summary>
public sealed partial class KpiPreAggregator(
    IGrainFactory grains,
    IOptions<KpiOptions> options,
    ILogger<KpiPreAggregator> logger) : IKpiDeltaSink, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, KpiDayFigures> _pendingDays = [];
    private readonly Dictionary<IsoWeek, int> _pendingWeeks = [];
    private readonly Dictionary<int, (KpiDayTotals Delta, long Sequence)> _inFlightDays = [];
    private readonly Dictionary<IsoWeek, (int Delta, long Sequence)> _inFlightWeeks = [];
    private readonly string _source = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private long _sequence;
    private Task? _loop;

    public void Add(KpiDeltas deltas)
    {
        if (deltas.IsEmpty)
        {
            return;
        }
        lock (_lock)
        {
            foreach (var (day, delta) in deltas.Days)
            {
                if (!_pendingDays.TryGetValue(day, out var pending))
                {
                    _pendingDays[day] = pending = new KpiDayFigures();
                }
                pending.Add(delta);
            }
            foreach (var (week, delta) in deltas.WeeklyWap)
            {
                _pendingWeeks[week] = _pendingWeeks.GetValueOrDefault(week) + delta;
            }
        }
    }

    /// <summary>Sends everything pending now (also used by tests and at shutdown).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await _flushing.WaitAsync(cancellationToken);
        try
        {
            List<(int Day, KpiDayTotals Delta, long Sequence)> days;
            List<(IsoWeek Week, int Delta, long Sequence)> weeks;
            lock (_lock)
            {
                foreach (var (day, pending) in _pendingDays.ToList())
                {
                    if (!_inFlightDays.ContainsKey(day))
                    {
                        _pendingDays.Remove(day);
                        if (!pending.IsZero)
                        {
                            _inFlightDays[day] = (pending.ToWire(), ++_sequence);
                        }
                    }
                }
                foreach (var (week, pending) in _pendingWeeks.ToList())
                {
                    if (!_inFlightWeeks.ContainsKey(week))
                    {
                        _pendingWeeks.Remove(week);
                        if (pending != 0)
                        {
                            _inFlightWeeks[week] = (pending, ++_sequence);
                        }
                    }
                }
                days = [.. _inFlightDays.Select(p => (p.Key, p.Value.Delta, p.Value.Sequence))];
                weeks = [.. _inFlightWeeks.Select(p => (p.Key, p.Value.Delta, p.Value.Sequence))];
            }

            var calls = days.Select(async d =>
            {
                var key = KpiMapping.DayKey(DateOnly.FromDayNumber(d.Day));
                await grains.GetGrain<IKpiDayGrain>(key).ApplyAsync(d.Delta, _source, d.Sequence);
                lock (_lock)
                {
                    _inFlightDays.Remove(d.Day);
                }
            }).Concat(weeks.Select(async w =>
            {
                await grains.GetGrain<IKpiWeekGrain>(w.Week.ToString()).ApplyAsync(w.Delta, _source, w.Sequence);
                lock (_lock)
                {
                    _inFlightWeeks.Remove(w.Week);
                }
            })).ToList();
            try
            {
                await Task.WhenAll(calls);
            }
            catch (Exception exception)
            {
                LogFlushFailed(logger, exception, calls.Count(c => c.IsFaulted));
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>True when nothing is waiting to be flushed.</summary>
    public bool IsIdle
    {
        get
        {
            lock (_lock)
            {
                return _pendingDays.Count == 0 && _pendingWeeks.Count == 0 && _inFlightDays.Count == 0 && _inFlightWeeks.Count == 0;
            }
        }
    }

    public void Participate(ISiloLifecycle lifecycle)
        => lifecycle.Subscribe(nameof(KpiPreAggregator), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }
        // Graceful shutdown: what is pending still reaches the KPI grains, so a restart stays exact.
        for (var attempt = 0; attempt < 5 && !IsIdle && !cancellationToken.IsCancellationRequested; attempt++)
        {
            await FlushAsync(CancellationToken.None);
        }
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(options.Value.FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                await FlushAsync(_stopping.Token);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "KPI flush failed for {Failed} grains; it will be resent with the same sequence")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception, int failed);
}
