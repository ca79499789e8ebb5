using System.Globalization;
using SampleMind.Analytics.Cohorts;
using SampleMind.Analytics.ModelVersions;
using SampleMind.Analytics.Users;
using SampleMind.Cohorts;
using SampleMind.ModelVersions;
using SampleMind.Rollups;
using SampleMind.Testing;
using SampleMind.Users;

namespace SampleMind.GrainTests.Rollups;

/// <summary>A cluster and database of their own: the oracles read the whole event log.</summary>
[CollectionDefinition(Name)]
public sealed class ModelVersionAndCohortClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "model-cohort-cluster";
}

[Collection(ModelVersionAndCohortClusterCollection.Name)]
public sealed class ModelVersionAndCohortRollupTests(ClusterFixture fixture)
{
    private static readonly DateTimeOffset Now = ClusterFixture.Start;
    private static readonly string[] Versions = ["genre_classification@2.1", "genre_classification@2.2", "mood_detection@1.0", "stem_separation@0.9"];

    [Fact]
    public async Task ModelVersionsAndCohorts_EqualTheSqlOracle_AfterShuffledIngestOfFortyUsers()
    {
        var random = new Random(11);
        var events = new List<(string User, string Json)>();
        var lateSignups = new List<(string User, string Json)>();
        for (var i = 0; i < 40; i++)
        {
            var user = $"mc-{i}";
            // Signups spread over four months, so there are several cohorts and months since signup.
            var end = Now.AddDays(-3 * i);
            events.AddRange(EventBuilder.RealisticHistory(user, seed: 300 + i, end).Select(j => (user, j)));
            events.AddRange(ModelTraffic($"{user}-ai", random, end).Select(j => (user, j)));
            if (i % 7 == 3)
            {
                // Ingested last: an identify whose created_at is months earlier moves the user's whole share to an earlier cohort.
                lateSignups.Add((user, new EventBuilder($"{user}-late").Identify(end, new { created_at = end.AddDays(-150).ToString("O", CultureInfo.InvariantCulture) })));
            }
        }
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(events));
        foreach (var batch in events.Chunk(60).Append([.. lateSignups]))
        {
            await Task.WhenAll(batch.GroupBy(x => x.User).Select(g =>
                fixture.Client.GetGrain<IUserGrain>(g.Key).IngestAsync([.. g.Select(x => TestSupport.ToEvent(x.Json))])));
        }

        var versions = await ModelVersionOracle.VersionsAsync(fixture.Database.DataSource);
        var cohorts = await CohortOracle.CohortsAsync(fixture.Database.DataSource);
        Assert.Equal(Versions.Order(StringComparer.Ordinal), versions.Keys);
        Assert.All(versions.Values, v => Assert.True(v.Requests > 50 && v.Feedback > 10 && v.Errors > 0 && v.LatencyBuckets.Count > 10));
        Assert.True(cohorts.Count >= 4, "several signup months");
        Assert.Contains(cohorts.Values, c => c.Months.Count >= 3);

        await TestSupport.EventuallyAsync(async () =>
        {
            // (the flush-dedupe test of this class registers "dedupe-test@1" directly: not from events)
            var catalogue = (await fixture.Client.GetGrain<IRollupCatalogGrain>(IRollupCatalogGrain.ModelVersions).GetKeysAsync())
                .Where(k => k != "dedupe-test@1").ToArray();
            if (!catalogue.SequenceEqual(versions.Keys))
            {
                return $"catalogue {string.Join(',', catalogue)} ≠ SQL {string.Join(',', versions.Keys)}";
            }
            foreach (var (key, expected) in versions)
            {
                var live = (await fixture.Client.GetGrain<IModelVersionGrain>(key).GetTotalsAsync()).ToFigures();
                if (Describe(live) != Describe(expected))
                {
                    return $"{key}: live {Describe(live)} ≠ SQL {Describe(expected)}";
                }
            }
            var cohortKeys = await fixture.Client.GetGrain<IRollupCatalogGrain>(IRollupCatalogGrain.Cohorts).GetKeysAsync();
            foreach (var key in cohortKeys.Union(cohorts.Keys))
            {
                var live = (await fixture.Client.GetGrain<ICohortGrain>(key).GetTotalsAsync()).ToFigures();
                var expected = cohorts.GetValueOrDefault(key) ?? new CohortFigures();
                if (Describe(live) != Describe(expected))
                {
                    return $"cohort {key}: live {Describe(live)} ≠ SQL {Describe(expected)}";
                }
            }
            return null;
        });

        // The derived rows: the same definitions over the same figures.
        foreach (var (key, expected) in versions)
        {
            var row = await fixture.Client.GetGrain<IModelVersionGrain>(key).GetAsync();
            Assert.Equal(expected.ToRow(key), row);
            Assert.Equal(key, $"{row.Model}@{row.Version}");
            Assert.NotNull(row.P99LatencyMs);
        }
        foreach (var (key, expected) in cohorts)
        {
            var row = await fixture.Client.GetGrain<ICohortGrain>(key).GetAsync();
            Assert.Equal(expected.Size, row.Size);
            Assert.Equal(expected.ToRow(key).Months, row.Months);
        }
    }

    [Fact]
    public async Task ModelVersionGrain_IgnoresARepeatedFlushSequence()
    {
        var grain = fixture.Client.GetGrain<IModelVersionGrain>("dedupe-test@1");
        var delta = new ModelVersionTotals { Requests = 3, Errors = 1, CostSumUsd = 0.3m };
        await grain.ApplyAsync(delta, "source-a", 1);
        await grain.ApplyAsync(delta, "source-a", 1);
        await grain.ApplyAsync(delta, "source-b", 1);
        var row = await grain.GetAsync();
        Assert.Equal(6, row.Requests);
        Assert.Equal(0.333333m, row.ErrorRate);
        Assert.Equal(0.1m, row.CostPerRequestUsd);
    }

    /// <summary>Analysis requests and feedback of several model versions, with the awkward inputs real traffic has.</summary>
    private static IEnumerable<string> ModelTraffic(string messagePrefix, Random random, DateTimeOffset end)
    {
        var events = new EventBuilder(messagePrefix);
        for (var n = 0; n < 25; n++)
        {
            var key = Versions[random.Next(Versions.Length)].Split('@');
            var at = end.AddDays(-random.Next(0, 60)).AddSeconds(-random.Next(0, 86_400)).AddMilliseconds(random.Next(0, 1000));
            // Log-normal-ish latency from well under 1 ms to minutes, with three decimals.
            var latency = Math.Round((decimal)Math.Exp(random.NextDouble() * 12 - 1), 3);
            object properties = (n % 11) switch
            {
                0 => new { analysis_type = key[0], model = key[0], model_version = key[1], processing_time_ms = latency.ToString(CultureInfo.InvariantCulture), error = "true", cost_usd = "0.0125" },
                1 => new { analysis_type = key[0], model = key[0], model_version = key[1], error = false },
                2 => new { analysis_type = key[0], model = key[0], processing_time_ms = latency },
                _ => new { analysis_type = key[0], model = key[0], model_version = key[1], processing_time_ms = latency, accuracy = 0.9, error = random.NextDouble() < 0.07, cost_usd = Math.Round((decimal)random.NextDouble() / 50, 5) },
            };
            yield return events.Track("analysis_completed", at, properties);
            if (random.NextDouble() < 0.6)
            {
                object feedback = random.Next(8) switch
                {
                    0 => new { model = key[0], model_version = key[1], rating = 3 },
                    1 => new { model = key[0], rating = 4, correct = true },
                    _ => new { model = key[0], model_version = key[1], rating = random.Next(1, 6), correct = random.NextDouble() < 0.8 },
                };
                yield return events.Track("analysis_feedback", at.AddMinutes(2), feedback);
            }
        }
    }

    private static string Describe(ModelVersionFigures f)
        => $"requests={f.Requests} errors={f.Errors} latency={f.LatencySumMs:0.######}/{f.LatencyCount} max={f.LatencyMaxMs:0.######} cost={f.CostSumUsd:0.########} "
           + $"feedback={f.FeedbackCorrect}/{f.Feedback} span={f.FirstRequestAt:O}..{f.LastRequestAt:O} "
           + $"buckets={string.Join(',', f.LatencyBuckets.Where(p => p.Value != 0).OrderBy(p => p.Key).Select(p => $"{p.Key}:{p.Value}"))}";

    private static string Describe(CohortFigures f)
        => $"size={f.Size} months={string.Join(',', f.Months.Where(p => !p.Value.IsZero).Select(p => $"{p.Key}:{p.Value.Users}/{p.Value.Revenue:0.######}"))}";
}
