using System.Diagnostics;
using Npgsql;
using SampleMind.Cli.Infrastructure;
using SampleMind.Diagnostics;

namespace SampleMind.Cli.Bench;

/// <summary>
/// The cluster's empty-call rate: an Orleans client (ADO.NET clustering, like client-api) keeps
/// <see cref="InFlight"/> <see cref="IProbeGrain.PingAsync"/> calls in flight over <see cref="Grains"/> probe grains.
/// </summary>
internal static class GrainCallLimit
{
    private const int InFlight = 512;
    private const int Grains = 1024;

    public static async Task<double> MeasureAsync(NpgsqlDataSource dataSource, string clusterId, TimeSpan warmup, TimeSpan duration, Action<double, double> progress, CancellationToken cancellationToken)
    {
        await using var connection = await ClusterConnection.ConnectAsync(dataSource, clusterId, "samplemind", cancellationToken);
        var probes = Enumerable.Range(0, Grains).Select(i => connection.Client.GetGrain<IProbeGrain>($"bench-ping-{i}")).ToArray();
        await Task.WhenAll(probes.Select(p => p.PingAsync())); // activations are not what we measure

        long calls = 0;
        var clock = Stopwatch.StartNew();
        var end = warmup + duration;
        var workers = Enumerable.Range(0, InFlight).Select(async worker =>
        {
            for (var i = worker; clock.Elapsed < end && !cancellationToken.IsCancellationRequested; i += InFlight)
            {
                await probes[i % Grains].PingAsync();
                Interlocked.Increment(ref calls);
            }
        }).ToArray();

        long startCalls = 0;
        var startSeconds = 0.0;
        var measuring = false;
        while (!Task.WhenAll(workers).IsCompleted)
        {
            await Task.Delay(100, CancellationToken.None);
            var now = clock.Elapsed;
            if (!measuring && now >= warmup)
            {
                measuring = true;
                startCalls = Interlocked.Read(ref calls);
                startSeconds = now.TotalSeconds;
            }
            progress(now.TotalSeconds, measuring ? (Interlocked.Read(ref calls) - startCalls) / Math.Max(1e-3, now.TotalSeconds - startSeconds) : 0);
        }

        await Task.WhenAll(workers);
        var endSeconds = Math.Min(clock.Elapsed.TotalSeconds, end.TotalSeconds);
        return (Interlocked.Read(ref calls) - startCalls) / Math.Max(1e-3, endSeconds - startSeconds);
    }
}
