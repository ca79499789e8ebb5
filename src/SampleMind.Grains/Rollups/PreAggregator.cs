using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SampleMind.Database;
using SampleMind.Operations;

namespace SampleMind.Rollups;

/// <summary>
/// Per-silo pre-aggregation for one kind of aggregate grain: deltas are merged in memory per key (no grain call per
/// event) and flushed to the grains by <see cref="FlushAsync"/>, one call per key. A flush that fails is resent with the
/// same (source, sequence) until it succeeds; the grains ignore a sequence they already applied, so a retry never
/// counts twice. What is in memory when a silo dies hard is lost: reconcile --fix recomputes it from the event log.
/// </summary>
/// <remarks>
/// A key whose flush can never succeed is parked: after <see cref="PermanentAttempts"/> failures that the grain reports
/// as permanent (<see cref="PermanentWriteException"/>), or after <paramref name="parkAfterFailures"/> failures in a row
/// while other keys' flushes succeed (so it is this key, not an outage), the key is sent no more. Parking writes one
/// error line and adds one to <c>samplemind.rollup.parked_flushes</c>; the key's later deltas are merged into the parked
/// one (memory stays one delta per key) until the process ends; reconcile --fix repairs the aggregate. A failure while
/// every key fails (an outage) is retried without end, logged once per key and then at most every 30 s.
/// </remarks>
/// <typeparam name="TKey">The aggregate grain's key.</typeparam>
/// <typeparam name="TDelta">A mutable, additive delta.</typeparam>
public sealed class PreAggregator<TKey, TDelta>(
    string name,
    Func<TDelta> create,
    Action<TDelta, TDelta> merge,
    Func<TDelta, bool> isZero,
    Func<TKey, TDelta, string, long, Task> send,
    ILogger logger,
    int parkAfterFailures = 20)
    where TKey : notnull
{
    /// <summary>Permanent failures (reported as such by the grain) after which a key is parked.</summary>
    public const int PermanentAttempts = 3;

    private static readonly TimeSpan SummaryEvery = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private readonly Dictionary<TKey, TDelta> _pending = [];
    private readonly Dictionary<TKey, (TDelta Delta, long Sequence)> _inFlight = [];
    private readonly Dictionary<TKey, int> _failures = [];
    private readonly Dictionary<TKey, TDelta> _parked = [];
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private long _sequence;
    private long _lastSummaryAt; // Environment.TickCount64 of the last failure summary; 0: none yet
    // Stopwatch timestamps of the oldest delta pending and of the oldest in flight (0: none): the live figures' staleness.
    private long _pendingSince;
    private long _inFlightSince;

    /// <summary>Identifies this silo incarnation to the grains (sequences restart with a process).</summary>
    public static readonly string Source = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    public void Add(TKey key, TDelta delta)
    {
        if (RollupDeltaCapture.Current is { } capture)
        {
            capture.Add(this, key, delta); // an erasure's deltas: sent by it, under its own source
            return;
        }
        lock (_lock)
        {
            if (_parked.TryGetValue(key, out var parked))
            {
                merge(parked, delta);
                return;
            }
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

    internal TDelta Create() => create();

    internal void Merge(TDelta into, TDelta delta) => merge(into, delta);

    internal bool IsZero(TDelta delta) => isZero(delta);

    /// <summary>Sends one delta straight to its grain under another source (see <see cref="RollupDeltaCapture"/>).</summary>
    internal Task SendAsync(TKey key, TDelta delta, string source, long sequence) => send(key, delta, source, sequence);

    /// <summary>Nothing pending and nothing in flight (parked keys are not waited for).</summary>
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

    /// <summary>The keys parked since this process started.</summary>
    public IReadOnlyList<TKey> ParkedKeys
    {
        get
        {
            lock (_lock)
            {
                return [.. _parked.Keys];
            }
        }
    }

    private KeyValuePair<string, object?> Tag => new("rollup", name);

    /// <summary>Records the flush and the age of what still waits (0 when everything is flushed; parked keys do not count).</summary>
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
                    _failures.Remove(item.Key);
                }
            }).ToList();
            try
            {
                await Task.WhenAll(calls);
            }
            catch (Exception)
            {
                Failed(batch, calls);
            }
        }
        finally
        {
            PublishFreshness(started);
            _flushing.Release();
        }
    }

    private void Failed(List<(TKey Key, TDelta Delta, long Sequence)> batch, List<Task> calls)
    {
        var anySucceeded = calls.Any(c => c.IsCompletedSuccessfully);
        var failed = 0;
        var newlyFailing = 0;
        Exception? first = null;
        for (var i = 0; i < calls.Count; i++)
        {
            if (!calls[i].IsFaulted)
            {
                continue;
            }
            failed++;
            SampleMindMetrics.RollupFlushFailures.Add(1, Tag);
            var key = batch[i].Key;
            var error = calls[i].Exception!.GetBaseException();
            first ??= error;
            var permanent = error is PermanentWriteException || PostgresErrors.Classify(error) == WriteFailure.Permanent;
            int attempts;
            lock (_lock)
            {
                attempts = _failures[key] = _failures.GetValueOrDefault(key) + 1;
            }
            if (attempts == 1)
            {
                newlyFailing++;
            }
            if ((permanent && attempts >= PermanentAttempts) || (anySucceeded && attempts >= parkAfterFailures))
            {
                Park(key, attempts, permanent, error);
            }
        }

        var now = Environment.TickCount64;
        if (newlyFailing > 0 || _lastSummaryAt == 0 || now - _lastSummaryAt >= (long)SummaryEvery.TotalMilliseconds)
        {
            _lastSummaryAt = now;
            logger.LogWarning(first, "{Rollup} flush failed for {Failed} of {Total} grains ({New} newly); resent with the same sequence",
                name, failed, calls.Count, newlyFailing);
        }
    }

    private void Park(TKey key, int attempts, bool permanent, Exception error)
    {
        lock (_lock)
        {
            if (!_inFlight.Remove(key, out var inFlight))
            {
                return;
            }
            _failures.Remove(key);
            var parked = inFlight.Delta;
            if (_pending.Remove(key, out var pending))
            {
                merge(parked, pending);
            }
            _parked[key] = parked;
        }
        ResilienceMetrics.ParkedFlushes.Add(1, new KeyValuePair<string, object?>("rollup", name));
        var shown = key.ToString() ?? "";
        logger.LogError("{Rollup} flush to grain {Key} parked after {Attempts} failed attempts ({Kind}: {Error}); it is not retried, its deltas are kept in memory; run reconcile --fix after removing the cause",
            name, shown.Length <= 64 ? shown : $"{shown[..61]}...", attempts, permanent ? "permanent" : "this key only", error.Message);
    }
}
