using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SampleMind.Operations;

namespace SampleMind.Rollups;

/// <summary>
/// Per-silo pre-aggregation for one kind of aggregate grain: deltas are merged in memory per key (no grain call per
/// event) and flushed to the grains by <see cref="FlushAsync"/>, one call per key. A flush that fails is resent with the
/// same (source, sequence) until it succeeds; the grains ignore a sequence they already applied, so a retry never
/// counts twice. What is in memory when a silo dies hard is lost: reconcile --fix recomputes it from the event log.
/// </summary>
/// <typeparam name="TKey">The aggregate grain's key.</typeparam>
/// <typeparam name="TDelta">A mutable, additive delta.</typeparam>
public sealed class PreAggregator<TKey, TDelta>(
    string name,
    Func<TDelta> create,
    Action<TDelta, TDelta> merge,
    Func<TDelta, bool> isZero,
    Func<TKey, TDelta, string, long, Task> send,
    ILogger logger)
    where TKey : notnull
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TKey, TDelta> _pending = [];
    private readonly Dictionary<TKey, (TDelta Delta, long Sequence)> _inFlight = [];
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private long _sequence;
    // Stopwatch timestamps of the oldest delta pending and of the oldest in flight (0: none): the live figures' staleness.
    private long _pendingSince;
    private long _inFlightSince;

    /// <summary>Identifies this silo incarnation to the grains (sequences restart with a process).</summary>
    public static readonly string Source = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    public void Add(TKey key, TDelta delta)
    {
        lock (_lock)
        {
            if (_pendingSince == 0)
            {
                _pendingSince = Stopwatch.GetTimestamp();
            }
            if (!_pending.TryGetValue(key, out var pending))
            {
                _pending[key] = pending = create();
            }
            merge(pending, delta);
        }
    }

    public bool IsIdle
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count == 0 && _inFlight.Count == 0;
            }
        }
    }

    private KeyValuePair<string, object?> Tag => new("rollup", name);

    /// <summary>Records the flush and the age of what still waits (0 when everything is flushed).</summary>
    private void PublishFreshness(long flushStarted)
    {
        double waitingSeconds;
        lock (_lock)
        {
            if (_inFlight.Count == 0 && _inFlightSince != 0)
            {
                SampleMindMetrics.RollupFreshness.Record(Stopwatch.GetElapsedTime(_inFlightSince).TotalSeconds, Tag);
                _inFlightSince = 0;
            }
            var oldest = _inFlightSince == 0 ? _pendingSince : _pendingSince == 0 ? _inFlightSince : Math.Min(_pendingSince, _inFlightSince);
            waitingSeconds = oldest == 0 ? 0 : Stopwatch.GetElapsedTime(oldest).TotalSeconds;
        }
        SampleMindMetrics.RollupFlushDuration.Record(Stopwatch.GetElapsedTime(flushStarted).TotalSeconds, Tag);
        SampleMindMetrics.SetGauge(SampleMindMetrics.RollupPendingAge, waitingSeconds, name);
    }

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await _flushing.WaitAsync(cancellationToken);
        var started = Stopwatch.GetTimestamp();
        try
        {
            List<(TKey Key, TDelta Delta, long Sequence)> batch;
            lock (_lock)
            {
                foreach (var (key, pending) in _pending.ToList())
                {
                    if (_inFlight.ContainsKey(key))
                    {
                        continue; // the unacknowledged delta goes again first, unchanged
                    }
                    _pending.Remove(key);
                    if (!isZero(pending))
                    {
                        _inFlight[key] = (pending, ++_sequence);
                    }
                }
                batch = [.. _inFlight.Select(p => (p.Key, p.Value.Delta, p.Value.Sequence))];
                if (_inFlightSince == 0 || (_pendingSince != 0 && _pendingSince < _inFlightSince))
                {
                    _inFlightSince = _pendingSince;
                }
                _pendingSince = 0;
                if (_pending.Count > 0)
                {
                    _pendingSince = Stopwatch.GetTimestamp(); // keys held back behind an unacknowledged delta
                }
            }
            var calls = batch.Select(async item =>
            {
                await send(item.Key, item.Delta, Source, item.Sequence);
                lock (_lock)
                {
                    _inFlight.Remove(item.Key);
                }
            }).ToList();
            try
            {
                await Task.WhenAll(calls);
            }
            catch (Exception exception)
            {
                SampleMindMetrics.RollupFlushFailures.Add(calls.Count(c => c.IsFaulted), Tag);
                logger.LogWarning(exception, "{Rollup} flush failed for {Failed} of {Total} grains; resent with the same sequence",
                    name, calls.Count(c => c.IsFaulted), calls.Count);
            }
        }
        finally
        {
            PublishFreshness(started);
            _flushing.Release();
        }
    }
}
