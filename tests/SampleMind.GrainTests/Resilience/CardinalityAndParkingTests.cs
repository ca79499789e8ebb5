using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using SampleMind.Analytics.ModelVersions;
using SampleMind.Database;
using SampleMind.ModelVersions;
using SampleMind.Rollups;
using SampleMind.Testing;
using SampleMind.Users;

namespace SampleMind.GrainTests.Resilience;

/// <summary>A cluster and database of their own: the tests count every model-version grain and state row.</summary>
[CollectionDefinition(Name)]
public sealed class CardinalityClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cardinality-cluster";
}

/// <summary>
/// Issue 14: 100,000 distinct model versions from one client create at most the ceiling (1,000) of model-version grains,
/// the rest counted exactly under "(other)" (equal to the SQL oracle); an aggregate write that can never succeed is
/// parked once (metric, one error line) while the other keys keep flushing.
/// </summary>
[Collection(CardinalityClusterCollection.Name)]
public sealed class CardinalityAndParkingTests(ClusterFixture fixture)
{
    private const int Ceiling = 1_000; // CardinalityOptions.ModelVersions' default: the fixture configures none

    [Fact]
    public async Task HundredThousandDistinctModelVersions_MakeAtMostTheCeilingOfGrains_TheRestExactUnderOther()
    {
        var overflow = 0L;
        using var listener = Listen("samplemind.cardinality.overflow", "dimension", DimensionRegistry.ModelVersions, v => Interlocked.Add(ref overflow, v));
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        // One client, 20 users × 5,000 analysis events, every event a new model version.
        const int users = 20, perUser = 5_000;
        var at = ClusterFixture.Start.AddHours(-1);
        await Parallel.ForEachAsync(Enumerable.Range(0, users), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (u, _) =>
        {
            var builder = new EventBuilder($"card-{u}");
            for (var chunk = 0; chunk < perUser / 500; chunk++)
            {
                var events = Enumerable.Range(chunk * 500, 500)
                    .Select(i => TestSupport.ToEvent(builder.Track("analysis_completed", at.AddMilliseconds(i), new { model = "hostile", model_version = $"v{u}-{i}", processing_time_ms = 1 + (i % 7) })))
                    .ToArray();
                var result = await fixture.Client.GetGrain<IUserGrain>($"card-{u}").IngestAsync(events);
                Assert.Equal(500, result.Applied);
            }
        });

        var versions = await ModelVersionOracle.VersionsAsync(fixture.Database.DataSource);
        Assert.Equal(Ceiling + 1, versions.Count); // the admitted ones and "(other)"
        Assert.Equal(users * perUser - Ceiling, versions[DimensionRegistry.Other].Requests);
        Assert.Equal(Ceiling, await fixture.Database.ScalarAsync<long>("select count(*) from dimension_values where dimension = 'model_version'"));

        await TestSupport.EventuallyAsync(async () =>
        {
            var catalogue = await fixture.Client.GetGrain<IRollupCatalogGrain>(IRollupCatalogGrain.ModelVersions).GetKeysAsync();
            var listed = catalogue.Where(k => k.StartsWith("hostile@", StringComparison.Ordinal) || k == DimensionRegistry.Other).ToArray();
            if (!listed.Order(StringComparer.Ordinal).SequenceEqual(versions.Keys))
            {
                return $"catalogue lists {listed.Length} keys, SQL {versions.Count}";
            }
            foreach (var (key, expected) in versions)
            {
                var live = (await fixture.Client.GetGrain<IModelVersionGrain>(key).GetTotalsAsync()).ToFigures();
                if (live.Requests != expected.Requests || live.LatencySumMs != expected.LatencySumMs || live.LatencyCount != expected.LatencyCount)
                {
                    return $"{key}: live {live.Requests} requests / {live.LatencySumMs} ms ≠ SQL {expected.Requests} / {expected.LatencySumMs}";
                }
            }
            return null;
        }, seconds: 120);

        // Grains: state rows and activations of the model-version grain type, at most the ceiling + "(other)".
        var stateRows = await fixture.Database.ScalarAsync<long>("select count(*) from orleans.grain_state where grain_type = 'model-version'");
        var statistics = await fixture.Client.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        var activations = statistics.Where(s => s.GrainType.Contains(nameof(ModelVersionGrain), StringComparison.Ordinal)).Sum(s => s.ActivationCount);
        Assert.True(stateRows <= Ceiling + 1, $"{stateRows} model-version state rows");
        Assert.True(activations <= Ceiling + 1, $"{activations} model-version activations");
        Assert.Equal(users * perUser - Ceiling, Interlocked.Read(ref overflow));

        // Heap: the test process holds the silo; 100,000 grains would be hundreds of MB, the user models of 100,000
        // events take their share. Measured figure in the output.
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        TestContext.Current.SendDiagnosticMessage($"cardinality: {stateRows} state rows, {activations} activations, heap {heapBefore / 1_048_576} MB → {heapAfter / 1_048_576} MB");
        TestContext.Current.TestOutputHelper?.WriteLine($"cardinality: {stateRows} state rows, {activations} activations, heap {heapBefore / 1_048_576} MB → {heapAfter / 1_048_576} MB (+{(heapAfter - heapBefore) / 1_048_576} MB)");
        Assert.True(heapAfter - heapBefore < 200L * 1_048_576, $"heap grew {(heapAfter - heapBefore) / 1_048_576} MB");
    }

    [Fact]
    public async Task AnAggregateWriteThatCanNeverSucceed_IsParkedOnce_AndTheOtherKeysKeepFlushing()
    {
        var name = $"parking-{Guid.NewGuid():N}"[..16];
        var parked = 0L;
        using var listener = Listen("samplemind.rollup.parked_flushes", "rollup", name, v => Interlocked.Add(ref parked, v));
        var log = new CountingLogger();
        // A key too long for grain storage's unique index (random, so it does not compress under 2,704 bytes).
        var random = new Random(14);
        var poison = "poison@" + new string([.. Enumerable.Range(0, 3_000).Select(_ => (char)random.Next(0x21, 0x7e))]);
        string[] good = [$"{name}-a@1", $"{name}-b@1", $"{name}-c@1"];
        var aggregator = new PreAggregator<string, ModelVersionFigures>(name, () => new ModelVersionFigures(), (into, d) => into.Add(d), d => d.IsZero,
            (key, delta, source, sequence) => fixture.Client.GetGrain<IModelVersionGrain>(key).ApplyAsync(delta.ToWire(), source, sequence), log);

        const int rounds = 30;
        for (var round = 0; round < rounds; round++)
        {
            foreach (var key in good.Append(poison))
            {
                aggregator.Add(key, new ModelVersionFigures { Requests = 1, LatencyCount = 1, LatencySumMs = 2 });
            }
            await aggregator.FlushAsync();
        }

        Assert.Equal([poison], aggregator.ParkedKeys);
        Assert.Equal(1, Interlocked.Read(ref parked));
        Assert.True(aggregator.IsIdle);
        foreach (var key in good)
        {
            Assert.Equal(rounds, (await fixture.Client.GetGrain<IModelVersionGrain>(key).GetTotalsAsync()).Requests);
        }
        // Not a line per flush: one warning when the key first failed, one error when it was parked.
        Assert.Equal(1, log.Errors);
        Assert.Equal(1, log.Warnings);
        TestContext.Current.TestOutputHelper?.WriteLine($"parking: {rounds} flushes, {log.Warnings} warning(s), {log.Errors} error(s), parked {Interlocked.Read(ref parked)}");
    }

    private static MeterListener Listen(string instrument, string tag, string value, Action<long> add)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (i, l) =>
            {
                if (i.Meter.Name == ResilienceMetrics.MeterName && i.Name == instrument)
                {
                    l.EnableMeasurementEvents(i);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, measurement, tags, _) =>
        {
            foreach (var t in tags)
            {
                if (t.Key == tag && Equals(t.Value, value))
                {
                    add(measurement);
                }
            }
        });
        listener.Start();
        return listener;
    }

    private sealed class CountingLogger : ILogger
    {
        private int _errors, _warnings;

        public int Errors => _errors;

        public int Warnings => _warnings;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Error)
            {
                Interlocked.Increment(ref _errors);
            }
            else if (logLevel == LogLevel.Warning)
            {
                Interlocked.Increment(ref _warnings);
            }
        }
    }
}
