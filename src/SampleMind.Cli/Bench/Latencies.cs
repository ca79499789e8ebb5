using System.Diagnostics;

namespace SampleMind.Cli.Bench;

/// <summary>Latency samples in milliseconds; percentiles by nearest rank over every sample.</summary>
internal sealed class Latencies
{
    private readonly Lock _lock = new();
    private readonly List<double> _samples = [];
    private long _errors;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _samples.Count;
            }
        }
    }

    public long Errors => Interlocked.Read(ref _errors);

    public void Add(double milliseconds)
    {
        lock (_lock)
        {
            _samples.Add(milliseconds);
        }
    }

    public void AddError() => Interlocked.Increment(ref _errors);

    /// <summary>The nearest-rank percentile (<paramref name="p"/> in 0…100); null without samples.</summary>
    public double? Percentile(double p)
    {
        lock (_lock)
        {
            if (_samples.Count == 0)
            {
                return null;
            }

            _samples.Sort();
            var rank = (int)Math.Ceiling(p / 100 * _samples.Count);
            return _samples[Math.Clamp(rank - 1, 0, _samples.Count - 1)];
        }
    }

    public LatencyFigures ToFigures(double ratePerSecond, double seconds) => new()
    {
        RatePerSec = ratePerSecond,
        Seconds = Math.Round(seconds, 1),
        Requests = Count,
        Errors = Errors,
        P50Ms = Round(Percentile(50)),
        P99Ms = Round(Percentile(99)),
        P999Ms = Round(Percentile(99.9)),
    };

    private static double? Round(double? value) => value is null ? null : Math.Round(value.Value, 2);
}

/// <summary>
/// Open-loop load: request i is due at start + i / rate and is sent then, whether or not earlier ones have returned;
/// its latency counts from the due time, so a stall shows as the whole queue it builds (no coordinated omission).
/// </summary>
internal static class OpenLoop
{
    public static async Task<LatencyFigures> RunAsync(double ratePerSecond, TimeSpan duration, Func<long, Task<bool>> request, Action<double>? progress, CancellationToken cancellationToken)
    {
        var latencies = new Latencies();
        var inFlight = new List<Task>();
        var clock = Stopwatch.StartNew();
        long sent = 0;
        while (clock.Elapsed < duration && !cancellationToken.IsCancellationRequested)
        {
            var due = (long)(clock.Elapsed.TotalSeconds * ratePerSecond);
            for (; sent <= due; sent++)
            {
                var scheduled = sent / ratePerSecond;
                inFlight.Add(SendAsync(sent, scheduled));
            }

            if (inFlight.Count > 10_000)
            {
                inFlight.RemoveAll(t => t.IsCompleted);
            }

            progress?.Invoke(clock.Elapsed.TotalSeconds);
            await Task.Delay(1, CancellationToken.None);
        }

        await Task.WhenAll(inFlight);
        return latencies.ToFigures(ratePerSecond, clock.Elapsed.TotalSeconds);

        async Task SendAsync(long index, double scheduledSeconds)
        {
            await Task.Yield();
            try
            {
                if (await request(index))
                {
                    latencies.Add((clock.Elapsed.TotalSeconds - scheduledSeconds) * 1000);
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            latencies.AddError();
        }
    }
}

/// <summary>Latency percentiles of a fixed-rate run.</summary>
internal sealed record class LatencyFigures
{
    public double RatePerSec { get; init; }
    public double Seconds { get; init; }
    public long Requests { get; init; }
    public long Errors { get; init; }
    public double? P50Ms { get; init; }
    public double? P99Ms { get; init; }
    public double? P999Ms { get; init; }

    /// <summary>The background ingest rate while the queries ran (riskQueryUnderIngest only).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public double? IngestEventsPerSec { get; init; }

    /// <summary>The events the background ingest got acknowledged (riskQueryUnderIngest only).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public long? IngestEvents { get; init; }
}
