using System.Diagnostics;
using SampleMind.Analytics.Simulation;
using SampleMind.Cli.Bench;
using SampleMind.Cli.Infrastructure;

namespace SampleMind.Cli.Soak;

/// <summary>
/// The soak's ingest: one pass over the simulator's events (never an event twice), batches of 100 spread round-robin
/// over every client-api, each batch retried until acknowledged (same bytes, same messageIds). Acknowledged batches'
/// latencies land in the current phase's sample (<see cref="BeginPhase"/>).
/// </summary>
internal sealed class SoakLoad(PopulationSimulator simulator, string writeKey)
{
    public const int BatchSize = 100;

    private readonly IEnumerator<EncodedEvent> _events = simulator.Generate().GetEnumerator();
    private readonly HashSet<string> _users = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private Latencies _phase = new();
    private long _acknowledged;

    /// <summary>Events acknowledged (2xx) over every run.</summary>
    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    /// <summary>True when the simulator has no more events.</summary>
    public bool Exhausted { get; private set; }

    public string[] Users()
    {
        lock (_lock)
        {
            return [.. _users];
        }
    }

    /// <summary>Starts a new latency sample for acknowledged batches; returns the one that ends.</summary>
    public Latencies BeginPhase() => Interlocked.Exchange(ref _phase, new Latencies());

    /// <summary>
    /// Sends until <paramref name="stop"/> is cancelled (or the simulator runs out), then waits until every batch
    /// sent is acknowledged. <paramref name="rate"/> caps the total events/s (null: as fast as the cluster takes them).
    /// </summary>
    public async Task RunAsync(IReadOnlyList<Uri> apis, int concurrency, double? rate, CancellationToken stop, CancellationToken cancellationToken)
    {
        var perApi = Math.Max(1, concurrency / apis.Count);
        var senders = apis.Select(api => new BatchSender(api, writeKey, perApi, BatchSize, rate / apis.Count, cancellationToken, Acknowledge)).ToList();
        try
        {
            await Task.Run(async () =>
            {
                var next = 0;
                while (!stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    if (!_events.MoveNext())
                    {
                        Exhausted = true;
                        return;
                    }
                    var e = _events.Current;
                    lock (_lock)
                    {
                        _users.Add(e.UserId);
                    }
                    if (senders[next].Add(e.Json.Span))
                    {
                        await senders[next].DispatchAsync();
                        next = (next + 1) % senders.Count;
                    }
                }
            }, CancellationToken.None);
            await Task.WhenAll(senders.Select(s => s.CompleteAsync()));
        }
        finally
        {
            foreach (var sender in senders)
            {
                await sender.DisposeAsync();
            }
        }
    }

    private void Acknowledge(double milliseconds, int events)
    {
        Interlocked.Add(ref _acknowledged, events);
        Volatile.Read(ref _phase).Add(milliseconds);
    }
}

/// <summary>
/// Risk reads at a fixed rate for as long as it runs (open loop: a request is due at start + i / rate whether or not
/// the earlier ones returned, its latency counted from then), into the current phase's sample.
/// </summary>
internal sealed class SoakReads(IReadOnlyList<HttpClient> apis, Func<string[]> users, double rate)
{
    private Latencies _phase = new();

    public Latencies BeginPhase() => Interlocked.Exchange(ref _phase, new Latencies());

    public async Task RunAsync(CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        var inFlight = new List<Task>();
        long sent = 0;
        var known = Array.Empty<string>();
        while (!stop.IsCancellationRequested)
        {
            if (sent % 500 == 0)
            {
                known = users();
            }
            var due = (long)(clock.Elapsed.TotalSeconds * rate);
            for (; sent <= due && known.Length > 0; sent++)
            {
                inFlight.Add(ReadAsync(sent, sent / rate, known));
            }
            if (inFlight.Count > 5_000)
            {
                inFlight.RemoveAll(t => t.IsCompleted);
            }
            await Task.Delay(2, CancellationToken.None);
            if (known.Length == 0)
            {
                sent = (long)(clock.Elapsed.TotalSeconds * rate) + 1;
            }
        }
        await Task.WhenAll(inFlight);

        async Task ReadAsync(long index, double scheduledSeconds, string[] population)
        {
            await Task.Yield();
            var sample = Volatile.Read(ref _phase);
            var user = population[(int)((index * 7919) % population.Length)];
            try
            {
                using var response = await apis[(int)(index % apis.Count)].GetAsync($"api/users/{Uri.EscapeDataString(user)}/risk", CancellationToken.None);
                if (response.IsSuccessStatusCode)
                {
                    sample.Add((clock.Elapsed.TotalSeconds - scheduledSeconds) * 1000);
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            sample.AddError();
        }
    }
}
