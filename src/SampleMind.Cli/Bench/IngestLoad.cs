using System.Diagnostics;
using SampleMind.Analytics.Simulation;
using SampleMind.Cli.Infrastructure;

namespace SampleMind.Cli.Bench;

/// <summary>
/// Durable ingest over HTTP: the simulator's events in /v1/batch bodies of 100, <paramref name="concurrency"/> in
/// flight, optionally capped at a rate. Continues the same simulator on every run, so no event is ever sent twice.
/// Each batch waits for its slowest user (an activation reads PostgreSQL twice), so throughput needs many in flight.
/// </summary>
internal sealed class IngestLoad(Uri api, string writeKey, PopulationSimulator simulator, int concurrency)
{
    public const int BatchSize = 100;

    private readonly Lock _lock = new();
    private readonly HashSet<string> _users = new(StringComparer.Ordinal);

    // One pass over the population for every run: a second run continues where the first stopped (a fresh
    // enumeration would regenerate the unfinished day and send its first events again, as duplicates).
    private readonly IEnumerator<EncodedEvent> _events = simulator.Generate().GetEnumerator();

    /// <summary>Users that have sent at least one acknowledged-or-pending event.</summary>
    public string[] Users()
    {
        lock (_lock)
        {
            return [.. _users];
        }
    }

    /// <summary>
    /// Sends for <paramref name="warmup"/> + <paramref name="duration"/>; the rate is acknowledged events over the
    /// measured part only. Everything sent is acknowledged before this returns.
    /// </summary>
    public async Task<IngestFigures> RunAsync(double? rate, TimeSpan warmup, TimeSpan duration, Action<double, double>? progress, CancellationToken cancellationToken)
    {
        await using var sender = new BatchSender(api, writeKey, concurrency, BatchSize, rate, cancellationToken);
        var clock = Stopwatch.StartNew();
        var end = warmup + duration;
        var producer = Task.Run(async () =>
        {
            while (clock.Elapsed < end && !cancellationToken.IsCancellationRequested && _events.MoveNext())
            {
                var e = _events.Current;

                lock (_lock)
                {
                    _users.Add(e.UserId);
                }

                if (sender.Add(e.Json.Span))
                {
                    await sender.DispatchAsync();
                }
            }
        }, CancellationToken.None);

        long startEvents = 0;
        double startSeconds = 0;
        long endEvents = -1;
        var measuring = false;
        while (!producer.IsCompleted)
        {
            await Task.Delay(100, CancellationToken.None);
            var now = clock.Elapsed;
            if (!measuring && now >= warmup)
            {
                measuring = true;
                startEvents = sender.Acknowledged;
                startSeconds = now.TotalSeconds;
            }
            if (endEvents < 0 && now >= end)
            {
                endEvents = sender.Acknowledged;
            }
            progress?.Invoke(now.TotalSeconds, measuring ? (sender.Acknowledged - startEvents) / Math.Max(1e-3, now.TotalSeconds - startSeconds) : 0);
        }

        await producer;
        if (endEvents < 0)
        {
            endEvents = sender.Acknowledged; // the simulator ran out (or Ctrl+C) before the end
        }
        var seconds = Math.Min(clock.Elapsed.TotalSeconds, end.TotalSeconds) - startSeconds;
        await sender.CompleteAsync();
        return new IngestFigures
        {
            EventsPerSec = Math.Round((endEvents - startEvents) / Math.Max(1e-3, seconds)),
            Events = sender.Acknowledged,
            Seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
            Users = Users().Length,
        };
    }
}

internal sealed record class IngestFigures
{
    public double EventsPerSec { get; init; }
    public long Events { get; init; }
    public double Seconds { get; init; }
    public int Users { get; init; }
    public double? RatioToGrainCalls { get; init; }
    public double? RatioToPgCopy { get; init; }
    public double? SiloCpuPercent { get; init; }
    public double? ApiCpuPercent { get; init; }
}
